-- The toolchain a build that names a compiler was routed to (the best offer
-- for its options.compilerVersion when it was submitted, e.g. clang-16.0.6):
-- every attempt of it goes to that toolchain's queue. NULL: the build named
-- no compiler and goes to its architecture's queue (the newest gcc).
ALTER TABLE builds ADD COLUMN toolchain text;
