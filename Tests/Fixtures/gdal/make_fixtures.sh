#!/bin/sh
# Remakes the GDAL-read fixtures of plan-check's tests from the sample district (SampleLayers/).
# Needs gdal-bin (ogr2ogr) and Debian's python3 (for zipfile). Run from this folder:
#   sh make_fixtures.sh
# Every file here is made by GDAL itself, so the tests read what real tools write. See README.md.
set -eu
S=../../../SampleLayers
rm -rf landuse-gbk landuse-codepage landuse-plain landuse-noprj plans.gdb zone-mismatch.gpkg \
  landuse-gbk.zip regions-gbk site-redline.zip

# The land-use plan as an ArcGIS user gets it: GBK text, Chinese field names, an ESRI .prj.
# Shapefile field names are at most 10 bytes: 地类名称 is 8 in GBK (12 in UTF-8).
SQL='SELECT BSM AS "标识码", DLBM AS "地类编码", DLMC AS "地类名称", QSDWMC AS "权属单位", JBNTBZ AS "基本农田" FROM landuse'

# 1. GBK with a .cpg (GDAL writes "GBK" into landuse.cpg and leaves the DBF code-page byte at 0).
mkdir landuse-gbk
ogr2ogr -q -f "ESRI Shapefile" -lco ENCODING=GBK landuse-gbk/landuse.shp $S/landuse.geojson -sql "$SQL" -nln landuse

# 2. GBK with only the DBF code-page byte (offset 29) set to 0x4D, code page 936, as ArcGIS on
#    Chinese Windows writes it, and no .cpg.
mkdir landuse-codepage
cp landuse-gbk/landuse.shp landuse-gbk/landuse.shx landuse-gbk/landuse.dbf landuse-gbk/landuse.prj landuse-codepage/
printf '\115' | dd of=landuse-codepage/landuse.dbf bs=1 seek=29 count=1 conv=notrunc 2>/dev/null

# 3. GBK with neither: only --encoding GBK (or encoding: GBK) reads it.
mkdir landuse-plain
cp landuse-gbk/landuse.shp landuse-gbk/landuse.shx landuse-gbk/landuse.dbf landuse-gbk/landuse.prj landuse-plain/

# 4. No .prj: only --assume-crs EPSG:4529 (or assume_crs:) gives its CRS.
mkdir landuse-noprj
cp landuse-gbk/landuse.shp landuse-gbk/landuse.shx landuse-gbk/landuse.dbf landuse-gbk/landuse.cpg landuse-noprj/

# 5. The GBK Shapefile zipped, as it is e-mailed.
(cd landuse-gbk && /usr/bin/python3 -m zipfile -c ../landuse-gbk.zip landuse.shp landuse.shx landuse.dbf landuse.prj landuse.cpg)

# 6. A File Geodatabase with two layers (UTF-8 by the format, OBJECTID from 1).
ogr2ogr -q -f OpenFileGDB plans.gdb $S/landuse.geojson -nln landuse
ogr2ogr -q -f OpenFileGDB -update plans.gdb $S/urban.geojson -nln urban

# 7. A zone-prefix mismatch: eastings with zone 41 in front (41 482 000) labelled EPSG:4550,
#    the central-meridian CRS without it (-a_srs assigns, it does not reproject).
ogr2ogr -q -f GPKG -a_srs EPSG:4550 zone-mismatch.gpkg $S/landuse.geojson -nln landuse

# 8. The assessed regions as a GBK Shapefile, and an applicant's site as a zipped Shapefile.
mkdir regions-gbk
ogr2ogr -q -f "ESRI Shapefile" -lco ENCODING=GBK regions-gbk/regions.shp $S/regions.geojson -nln regions
mkdir site-redline
ogr2ogr -q -f "ESRI Shapefile" -lco ENCODING=GBK site-redline/redline.shp $S/sites/redline.geojson -nln redline
(cd site-redline && /usr/bin/python3 -m zipfile -c ../site-redline.zip redline.shp redline.shx redline.dbf redline.prj redline.cpg)
rm -r site-redline
