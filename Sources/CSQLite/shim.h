#ifndef PLANCHECK_CSQLITE_SHIM_H
#define PLANCHECK_CSQLITE_SHIM_H
#include <sqlite3.h>
// SQLITE_TRANSIENT is a macro Swift cannot import: tell SQLite to copy bound values.
static const sqlite3_destructor_type plancheck_sqlite_transient = SQLITE_TRANSIENT;
// sqlite3_config is variadic (Swift cannot call it). Memory statistics off: with them on (the
// default) every sqlite3_malloc and sqlite3_free of every connection takes one process-wide
// mutex. Only works before SQLite initialises (the first open): SQLITE_MISUSE after that.
static inline int plancheck_sqlite_disable_memory_statistics(void) {
    return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}
#endif
