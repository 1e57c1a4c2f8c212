"""Every numeric option of every subcommand: an out-of-range value is a usage error.

argparse's style: the usage, then one ``fastpool COMMAND: error: argument ...`` line,
exit status 2; never a traceback (the red team's 10**30 for --max-length, --threads
and --part-size gave OverflowError / islice's ValueError).
"""

from __future__ import annotations

import pytest
from test_cli_util import run_cli

HUGE = str(10**30)
DIGITS = "9" * 5000  # past int()'s digit limit: a ValueError of its own

ENCODE = ["encode", "x.txt"]
SEARCH = ["search", "x.txt", "q"]
EVAL = ["eval", "x.txt", "--teacher", "t"]
DISTILL = ["distill", "t", "-o", "out"]

CASES = [
    (ENCODE, "--part-size", ["0", "-1", HUGE, DIGITS, "1.5"]),
    (ENCODE, "--batch-size", ["0", "-3", HUGE]),
    (ENCODE, "--threads", ["0", HUGE, "-" + HUGE, "4097", "-4097", "x"]),
    (ENCODE, "--max-length", ["-1", HUGE, "2147483648", "1e3"]),
    (SEARCH, "-k", ["0", "-1", HUGE, "zero"]),
    (SEARCH, "--threads", ["0", HUGE]),
    (SEARCH, "--max-length", ["-2", HUGE]),
    (EVAL, "--sample", ["0", "-1", HUGE]),
    (EVAL, "--pairs", ["0", HUGE]),
    (EVAL, "--seed", ["-1", HUGE]),
    (EVAL, "--show", ["-1", HUGE]),
    (EVAL, "--batch-size", ["0", HUGE]),
    (EVAL, "--threads", ["0", HUGE]),
    (EVAL, "--max-length", ["-1", HUGE]),
    (DISTILL, "--pca-dims", ["0", "-5", HUGE, "1.0", "0", "nan", "inf", "-0.5", "x"]),
    (DISTILL, "--sif-coefficient", ["1", "-0.1", "nan", "inf", HUGE, "x"]),
    (DISTILL, "--batch-size", ["0", HUGE]),
]


@pytest.mark.parametrize(
    ("argv", "value"),
    [
        pytest.param([*base, flag, v], v, id=f"{base[0]} {flag} {v[:12]}")
        for base, flag, values in CASES
        for v in values
    ],
)
def test_out_of_range_numbers_are_usage_errors(argv, value, capsys):
    code, out, err = run_cli(argv, capsys)
    assert code == 2, err
    assert "Traceback" not in err and out == ""
    assert err.startswith("usage: fastpool ")
    last = err.rstrip("\n").split("\n")[-1]
    flag = argv[-2]
    assert last.startswith(f"fastpool {argv[0]}: error: argument {flag}"), err
    assert len(last) < 200  # a 5,000-digit value is not echoed whole


@pytest.mark.parametrize(
    ("argv", "dest", "want"),
    [
        ([*ENCODE, "--threads", "-4096"], "threads", -4096),
        ([*ENCODE, "--max-length", "0"], "max_length", 0),
        ([*ENCODE, "--max-length", "None"], "max_length", -1),
        ([*ENCODE, "--part-size", "2147483647"], "part_size", 2**31 - 1),
        ([*EVAL, "--show", "0"], "show", 0),
        ([*EVAL, "--seed", str(2**64 - 1)], "seed", 2**64 - 1),
        ([*DISTILL, "--pca-dims", "0.5"], "pca_dims", 0.5),
        ([*DISTILL, "--pca-dims", "64"], "pca_dims", 64),
        ([*DISTILL, "--pca-dims", "auto"], "pca_dims", "auto"),
        ([*DISTILL, "--sif-coefficient", "0"], "sif_coefficient", None),
        ([*DISTILL, "--sif-coefficient", "1e-3"], "sif_coefficient", 1e-3),
    ],
)
def test_values_in_range_parse(argv, dest, want):
    from fastpool.cli import build_parser

    assert getattr(build_parser().parse_args(argv), dest) == want


def test_largest_values_run(tmp_path, capsys):
    """The upper bounds are accepted end to end (no overflow below the CLI)."""
    from model_factory import make_model_folder

    model = make_model_folder(tmp_path, name="m")
    src = tmp_path / "d.txt"
    src.write_text("the quick fox\nthe lazy dog\n")
    big = "2147483647"
    code, _, err = run_cli(
        ["encode", src, "-o", tmp_path / "out", "--model", model, "-q", "--part-size", big,
         "--batch-size", big, "--max-length", big, "--threads", "-4096"],
        capsys,
    )  # fmt: skip
    assert code == 0, err
    code, out, err = run_cli(
        ["search", src, "fox", "-k", big, "--model", model, "--max-length", big], capsys
    )
    assert code == 0 and len(out.splitlines()) == 2, err
