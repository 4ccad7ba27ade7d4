#ifndef CLOGIT_SYSTEM_H
#define CLOGIT_SYSTEM_H

/// Returns the free memory at the top of every malloc arena, and whole free pages inside them, to the system
/// (glibc's malloc_trim(0)); 1 when memory was released. Swift's Glibc module does not export malloc_trim.
int logit_release_free_heap(void);

#endif
