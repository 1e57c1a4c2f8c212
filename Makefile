.PHONY: install test bench lint wheel

install:
	pip install --no-build-isolation -e ".[dev]"

test:
	python -m pytest tests

bench:
	python -m pytest benchmarks --benchmark-autosave && python benchmarks/ratios.py

lint:
	ruff check src tests benchmarks && ruff format --check src tests benchmarks
	cython-lint src/fastpool/*.pyx
	mypy

wheel:
	pip wheel . --no-deps -w dist
