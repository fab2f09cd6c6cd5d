# plan-check: the two commands a new machine needs are `make sample` and `make test`.
# Both install the Debian packages plan-check builds on when they are missing (as root; otherwise
# they print the exact apt-get command to run).

SWIFT        ?= swift
APT_PACKAGES := libgeos-dev libproj-dev proj-data libsqlite3-dev libgdal-dev libjemalloc-dev libpolyclipping-dev pkg-config
# The tests also run GDAL's own GeoPackage validator and ogrinfo on what plan-check writes, and
# validate query answers against their JSON schema with python3-jsonschema; the HTML report is
# opened in headless Chromium (chromium, chromium-driver) through python3-selenium.
TEST_APT_PACKAGES := gdal-bin python3-gdal python3-jsonschema chromium chromium-driver python3-selenium
RELEASE_BIN  := .build/release/plan-check
SAMPLES      := SampleLayers/landuse.geojson SampleLayers/urban.geojson SampleLayers/farmland.gpkg
SITES        := clean conditional farmland redline hazard straddle chemical expired
# The Spark job (Tools/spark/): Debian's Java 17 and PySpark (Spark bundled) from PyPI, in a venv of
# Debian's own Python, the Python every Debian worker has at the same path (docs/scale-out.md).
SPARK_APT_PACKAGES := openjdk-17-jre-headless python3-venv
SPARK_VENV   := Tools/spark/.venv
PYSPARK_VERSION := 4.3.0

.PHONY: all deps test-deps spark-deps install-packages build release sample test asan bench-spark bench-read bench-overlay bench-scale bench-slices bench-merge bench-query bench-serve bench-report clean

all: release

## deps: install the system libraries (GEOS, PROJ, SQLite, GDAL) when they are missing.
deps:
	@$(MAKE) --no-print-directory install-packages PACKAGES="$(APT_PACKAGES)"

## test-deps: the build's packages and GDAL (validator, ogrinfo) for the tests.
test-deps:
	@$(MAKE) --no-print-directory install-packages PACKAGES="$(APT_PACKAGES) $(TEST_APT_PACKAGES)"

## spark-deps: Java 17 and PySpark $(PYSPARK_VERSION) in $(SPARK_VENV) for Tools/spark/plan_check_spark.py
## (quick when both are there).
spark-deps:
	@$(MAKE) --no-print-directory install-packages PACKAGES="$(SPARK_APT_PACKAGES)"
	@if ! $(SPARK_VENV)/bin/python -c "import sys, pyspark; sys.exit(pyspark.__version__ != '$(PYSPARK_VERSION)')" 2>/dev/null; then \
	  echo "installing PySpark $(PYSPARK_VERSION) into $(SPARK_VENV)"; \
	  /usr/bin/python3 -m venv --clear $(SPARK_VENV) && \
	  $(SPARK_VENV)/bin/pip install -q --disable-pip-version-check pyspark==$(PYSPARK_VERSION); \
	fi

install-packages:
	@missing=""; for p in $(PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "plan-check needs these Debian packages. Run:"; \
	    echo "  sudo apt-get install -y$$missing"; \
	    exit 1; \
	  fi; \
	fi

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release --product plan-check

## sample: build a release binary and run inspect, overlay, assess and query on the sample district.
sample: release
	$(RELEASE_BIN) --version
	$(RELEASE_BIN) inspect $(SAMPLES)
	mkdir -p out
	$(RELEASE_BIN) overlay --rules SampleLayers/rules.yaml \
	  --out out/sample-patches.geojson --summary out/sample-summary.json --dissolve \
	  --districts SampleLayers/districts.geojson --district-field XZQMC --csv out/sample-patches.csv \
	  --html out/sample-report.html
	rm -f out/registry.gpkg
	$(RELEASE_BIN) assess --rules SampleLayers/rules.yaml --regions SampleLayers/regions.geojson \
	  --registry out/registry.gpkg --issued-by 大连市自然资源局 --region R3 \
	  --valid-from 2021-03-01 --valid-until 2024-02-29
	$(RELEASE_BIN) assess --rules SampleLayers/rules.yaml --regions SampleLayers/regions.geojson \
	  --registry out/registry.gpkg --issued-by 大连市自然资源局 --region R1 --region R2 \
	  --valid-from 2026-01-01 --html out/sample-assess.html
	@for site in $(SITES); do \
	  type=""; [ $$site = chemical ] && type="--project-type chemical"; \
	  echo "== plan-check query --at 2026-12-01 $$type SampleLayers/sites/$$site.geojson"; \
	  $(RELEASE_BIN) query --registry out/registry.gpkg --at 2026-12-01 --format text $$type \
	    SampleLayers/sites/$$site.geojson; echo "(exit $$?)"; echo; \
	done

## test: the whole test suite (Swift Testing on real GEOS, PROJ, SQLite and files, and the Spark
## job in local mode).
test: test-deps spark-deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

## asan: the test suite under AddressSanitizer and LeakSanitizer (own build folder; slower).
# A small quarantine (ASan's default holds up to 256 MB of freed memory), so that the serve
# tests' bounds on resident memory measure plan-check, not the sanitizer.
asan: test-deps
	ASAN_OPTIONS=quarantine_size_mb=16 LSAN_OPTIONS=suppressions=$(CURDIR)/Tools/asan/lsan-suppressions.txt \
	  $(SWIFT) test --sanitize=address --disable-xctest --scratch-path .build-asan

## bench-read: reading speed of the GeoJSON, GeoPackage and GDAL (Shapefile) readers against GDAL (pyogrio);
## see Tools/bench-geojson/.
bench-read: test-deps
	Tools/bench-geojson/run.sh

## bench-overlay: plan-check against GeoPandas, PostGIS and a bare GEOS loop; see Tools/bench-overlay/.
bench-overlay: deps
	Tools/bench-overlay/run.sh 10000 100000

## bench-scale: peak memory and time of the overlay at 100 000 and 1 000 000 parcels (scale.sh).
bench-scale: deps
	Tools/bench-overlay/scale.sh 100000 1000000

## bench-slices: 4 and 16 tile slices of the 1 000 000-parcel overlay reading GeoPackages by region,
## against slices reading GeoJSON whole and the whole run (slices.sh; about 15 minutes).
bench-slices: deps
	Tools/bench-overlay/slices.sh 1000000 4 1000
	Tools/bench-overlay/slices.sh 1000000 16 1000

## bench-merge: plan-check merge of 4 and 16 tile slices of the 100 000-parcel layers against the
## whole overlay (time, peak RSS, byte-for-byte check); see Tools/bench-merge/.
bench-merge: deps
	Tools/bench-merge/run.sh 100000 4 16

## bench-query: per-site query latency against a registry of 1 000 regions x 10 items, side by
## side with PostGIS and GeoPandas; see Tools/bench-query/.
bench-query: deps
	Tools/bench-query/run.sh 2000 300

## bench-serve: soak of plan-check serve on loopback (1, 16, 64 and 1 000 concurrent clients, 20 s
## each, mixed sites): answers/s, p50/p99, errors, RSS and open files; see Tools/bench-serve/.
bench-serve: release
	Tools/bench-serve/run.sh 20

## bench-spark: the overlay of 100 000 generated parcels as N tile slices on Spark local[2] against
## one plan-check process (wall time, peak RSS, output equal); see Tools/spark/bench.sh.
bench-spark: release spark-deps
	Tools/spark/bench.sh 100000 4 16 64

## bench-report: an HTML report of about 100 000 patches: file size, plan-check's time to write
## it, and the time headless Chromium takes to open it; see Tools/bench-report/.
bench-report: test-deps
	Tools/bench-report/run.sh 23000

clean:
	rm -rf .build .build-asan
