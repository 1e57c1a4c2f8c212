.PHONY: install test bench lint wheel

install:
	pip install --no-build-isolation -e ".[dev]"

test:
	python -m pytest tests

# The benchmarks' plain loops (fastpool._bench) are left out of wheels; bench builds them,
# in a build folder of its own so that wheels built here later stay without them.
bench:
	pip install --no-build-isolation --no-deps -e . -Ccmake.define.FASTPOOL_BENCH_HELPERS=ON \
	    -Cbuild-dir=build/bench-helpers
	python -m pytest benchmarks --benchmark-autosave && python benchmarks/ratios.py

lint:
	tools/lint.sh

wheel:
	pip wheel . --no-deps -w dist
