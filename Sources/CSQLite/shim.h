#ifndef PLANCHECK_CSQLITE_SHIM_H
#define PLANCHECK_CSQLITE_SHIM_H
#include <sqlite3.h>
// SQLITE_TRANSIENT is a macro Swift cannot import: tell SQLite to copy bound values.
static const sqlite3_destructor_type plancheck_sqlite_transient = SQLITE_TRANSIENT;
#endif
