#ifndef PLANCHECK_CGDAL_SHIM_H
#define PLANCHECK_CGDAL_SHIM_H
// GDAL's C API for reading vector data: datasets and drivers (gdal.h), layers, features and
// geometries (ogr_api.h), spatial references (ogr_srs_api.h), the virtual file system and
// configuration (cpl_conv.h, cpl_vsi.h) and the error handler stack (cpl_error.h).
#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#include <cpl_conv.h>
#include <cpl_error.h>
#include <cpl_string.h>
#include <cpl_vsi.h>
#endif
