#ifndef PLANCHECK_CGEOS_SHIM_H
#define PLANCHECK_CGEOS_SHIM_H
// Only the reentrant (_r) API: every call names its context, so contexts can live per task.
#define GEOS_USE_ONLY_R_API
#include <geos_c.h>
#endif
