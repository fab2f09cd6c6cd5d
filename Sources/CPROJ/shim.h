#ifndef PLANCHECK_CPROJ_SHIM_H
#define PLANCHECK_CPROJ_SHIM_H
#include <proj.h>
#include <geodesic.h>
#endif
