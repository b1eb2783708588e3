#ifndef CGDBM_SHIM_H
#define CGDBM_SHIM_H

#if __has_include(<gdbm.h>)
#include <gdbm.h>
#else
#error "gdbm.h not found: install Debian's libgdbm-dev (apt-get install -y libgdbm-dev)"
#endif

/* gdbm_errno is a macro over a function call that Swift cannot import. */
static inline int cgdbm_errno(void) { return gdbm_errno; }

#endif
