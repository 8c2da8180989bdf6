// The system SQLite (Debian's libsqlite3-dev), for the storage peer of the
// repository benchmarks.
#include <sqlite3.h>
