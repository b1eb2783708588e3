#ifndef CGDBM_SHIM_H
#define CGDBM_SHIM_H

#if __has_include(<gdbm.h>)
#include <gdbm.h>
#else
#error "gdbm.h not found: install Debian's libgdbm-dev (apt-get install -y libgdbm-dev)"
#endif

/* gdbm_errno is a macro over a function call that Swift cannot import. */
static inline int cgdbm_errno(void) { return gdbm_errno; }

/* libgdbm's key hash. Exported by libgdbm 1.23 (`nm -D libgdbm.so.6`) but not declared in gdbm.h. The bucket of a
 * key is the hash's top `directory depth` bits, so storing keys in ascending hash order fills one bucket after the
 * other instead of touching a random bucket per store. */
extern int _gdbm_hash(datum key);

static inline unsigned int cgdbm_hash(const void *bytes, int count) {
    datum key = {(char *)bytes, count};
    return (unsigned int)_gdbm_hash(key);
}

#endif
