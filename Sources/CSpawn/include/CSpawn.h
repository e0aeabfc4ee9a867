// What glibc offers a spawning parent only under _GNU_SOURCE, which Swift's
// Glibc module does not define.
#ifndef KFARM_CSPAWN_H
#define KFARM_CSPAWN_H

#include <spawn.h>

/// Closes every descriptor from `lowest` up in the child
/// (posix_spawn_file_actions_addclosefrom_np, glibc 2.34).
int kfarm_spawn_close_from(posix_spawn_file_actions_t *actions, int lowest);

/// A pipe whose ends are closed on exec (pipe2 with O_CLOEXEC).
int kfarm_pipe_cloexec(int ends[2]);

#endif
