-- The resolved .config an artifact was built from, as the worker reports
-- it, so two artifacts' Kconfig symbols can be compared without unpacking
-- tarballs. Null for artifacts recorded before.
ALTER TABLE artifacts ADD COLUMN kconfig text;
