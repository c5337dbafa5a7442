"""The `solvable` command: exit codes, --only, --jobs, the Dask path, --out policy, atomic writes, demo, bench.

These tests drive the CLI on a throw-away package of fake checks (instant, deterministic
from the seed), so that the harness is tested independently of the physics; the real
checks are run in tests/test_paper_checks.py.
"""
import json
import os
import sys
import textwrap
import uuid

import numpy as np
import pytest

from paper_checks import CheckResult, Source
from solvable import cli, plotting

FAKE = '''
import numpy as np
from paper_checks._result import CheckResult, Source

CLAIM = "fake claim {name}"
SOURCE = Source("Nobody", "0000.00000", section="0.0")


def run(quick=True, seed=0):
    {body}
    x = np.random.default_rng([seed, {salt}]).normal(size=2000)
    z = float(x.mean() / (x.std(ddof=1) / np.sqrt(x.size)))
    return CheckResult(name=__name__.rsplit(".", 1)[-1], claim=CLAIM, source=SOURCE, prediction="mean 0",
                       measurement=f"z = {{z:.3f}}", passed={passed}, z=z, details={{"x0": float(x[0])}},
                       data={{"x": x[:50]}}, params={{"n": 2000}})


def draw(result):
    {draw_body}
    from solvable import plotting
    fig, ax = plotting.subplots()
    ax.plot(result.data["x"], "o")
    ax.set_xlabel("$i$")
    return fig
'''


def _write_fake_package(root, name):
    pkg = root / name
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    specs = {
        "alpha_pass": dict(passed=True, body="pass", draw_body="pass", salt=1),
        "beta_pass": dict(passed=True, body="pass", draw_body="pass", salt=2),
        "gamma_fail": dict(passed=False, body="pass", draw_body="pass", salt=3),
        "delta_crash": dict(passed=True, body='raise RuntimeError("boom in run")', draw_body="pass", salt=4),
        "epsilon_drawfail": dict(passed=True, body="pass", draw_body='raise RuntimeError("boom in draw")', salt=5),
    }
    for mod, spec in specs.items():
        (pkg / f"{mod}.py").write_text(textwrap.dedent(FAKE.format(name=mod, **spec)))
    (pkg / "_helper.py").write_text("# not a check\n")


@pytest.fixture(scope="module")
def fake_pkg(tmp_path_factory):
    root = tmp_path_factory.mktemp("fakepkg")
    name = f"fakechecks_{uuid.uuid4().hex[:8]}"
    _write_fake_package(root, name)
    sys.path.insert(0, str(root))
    yield name
    sys.path.remove(str(root))


def reproduce(fake_pkg, out, *extra):
    if "--formats" not in extra:
        extra = extra + ("--formats", "png")  # PDF output is tested once, below; PNG alone is quicker
    return cli.main(["reproduce", "--package", fake_pkg, "--out", str(out), "--no-progress", *extra])


def results(out):
    return {c["name"]: c for c in json.loads((out / "results.json").read_text())["checks"]}


# ----------------------------------------------------------------------------- exit codes
def test_all_pass_exit_0_and_files(fake_pkg, tmp_path, capsys):
    out = tmp_path / "out"
    assert reproduce(fake_pkg, out, "--only", "pass", "--jobs", "1", "--formats", "png,pdf") == 0
    printed = capsys.readouterr().out
    assert "alpha_pass" in printed and "beta_pass" in printed and "2/2 checks passed" in printed
    for stem in ("alpha_pass", "beta_pass"):
        for ext in ("png", "pdf", "json"):
            assert (out / f"{stem}.{ext}").stat().st_size > 0
        side = json.loads((out / f"{stem}.json").read_text())
        assert side["seed"] == 0 and side["params"] == {"n": 2000} and side["solvable_version"]
    assert (out / "report.md").exists() and (out / cli.MARKER).exists()
    assert not [p for p in os.listdir(out) if p.endswith(".tmp")]
    assert "gamma_fail" not in results(out)


def test_failing_check_exit_1(fake_pkg, tmp_path, capsys):
    assert reproduce(fake_pkg, tmp_path / "o", "--only", "alpha,gamma", "--jobs", "1") == 1
    res = results(tmp_path / "o")
    assert res["gamma_fail"]["status"] == "FAIL" and res["alpha_pass"]["status"] == "PASS"
    assert "1/2 checks passed" in capsys.readouterr().out


def test_crashing_check_is_error_exit_1(fake_pkg, tmp_path, capsys):
    assert reproduce(fake_pkg, tmp_path / "o", "--only", "delta", "--jobs", "1") == 1
    res = results(tmp_path / "o")["delta_crash"]
    assert res["status"] == "ERROR" and "boom in run" in res["error_message"]
    assert "boom in run" in capsys.readouterr().out
    assert "boom in run" in (tmp_path / "o" / "report.md").read_text()


def test_draw_failure_is_error_and_leaves_no_figure(fake_pkg, tmp_path):
    out = tmp_path / "o"
    assert reproduce(fake_pkg, out, "--only", "epsilon", "--jobs", "1") == 1
    assert results(out)["epsilon_drawfail"]["status"] == "ERROR"
    assert not list(out.glob("epsilon_drawfail*"))


@pytest.mark.parametrize("argv", [
    ["reproduce", "--bogus"],
    ["reproduce", "--jobs", "x"],
    [],
    ["nosuchcommand"],
])
def test_usage_errors_exit_2(argv, capsys):
    assert cli.main(argv) == 2


def test_help_exit_0(capsys):
    assert cli.main(["reproduce", "--help"]) == 0
    assert "--scheduler" in capsys.readouterr().out


def test_only_without_match_exit_2(fake_pkg, tmp_path, capsys):
    assert reproduce(fake_pkg, tmp_path / "o", "--only", "zzz_nothing") == 2
    assert "no check matches" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_jobs_zero_exit_2(fake_pkg, tmp_path, capsys):
    assert reproduce(fake_pkg, tmp_path / "o", "--jobs", "0") == 2
    assert "--jobs" in capsys.readouterr().err


def test_bad_formats_exit_2(fake_pkg, tmp_path, capsys):
    assert reproduce(fake_pkg, tmp_path / "o", "--formats", "png,gif") == 2
    assert "--formats" in capsys.readouterr().err


def test_unknown_package_exit_2(tmp_path, capsys):
    assert cli.main(["reproduce", "--package", "no_such_pkg_xyz", "--out", str(tmp_path / "o")]) == 2


def test_only_glob_and_list(fake_pkg, tmp_path, capsys):
    assert reproduce(fake_pkg, tmp_path / "o", "--only", "*_pass", "--list") == 0
    out = capsys.readouterr().out
    assert "alpha_pass" in out and "beta_pass" in out and "gamma" not in out and "_helper" not in out
    assert "fake claim alpha_pass" in out
    assert not (tmp_path / "o").exists()  # --list writes nothing


# ----------------------------------------------------------------------------- executors
def test_process_pool_matches_serial(fake_pkg, tmp_path):
    assert reproduce(fake_pkg, tmp_path / "serial", "--only", "pass,gamma", "--jobs", "1", "--seed", "3") == 1
    assert reproduce(fake_pkg, tmp_path / "pool", "--only", "pass,gamma", "--jobs", "2", "--seed", "3") == 1
    assert (tmp_path / "pool" / "beta_pass.png").exists()  # drawn in the workers
    a, b = results(tmp_path / "serial"), results(tmp_path / "pool")
    assert list(a) == list(b) == ["alpha_pass", "beta_pass", "gamma_fail"]  # registry order, not completion order
    for name in a:
        assert a[name]["z"] == b[name]["z"] and a[name]["details"] == b[name]["details"]
        assert a[name]["seed"] == 3
    assert "2 processes" in (tmp_path / "pool" / "report.md").read_text()


def test_seed_changes_results(fake_pkg, tmp_path):
    reproduce(fake_pkg, tmp_path / "s0", "--only", "alpha", "--jobs", "1", "--seed", "0")
    reproduce(fake_pkg, tmp_path / "s1", "--only", "alpha", "--jobs", "1", "--seed", "1")
    assert results(tmp_path / "s0")["alpha_pass"]["z"] != results(tmp_path / "s1")["alpha_pass"]["z"]


def test_dask_local_cluster_matches_local(fake_pkg, tmp_path):
    distributed = pytest.importorskip("dask.distributed")
    assert reproduce(fake_pkg, tmp_path / "local", "--only", "pass,gamma", "--jobs", "1", "--seed", "5") == 1
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=":0") as cluster:
        rc = reproduce(fake_pkg, tmp_path / "dask", "--only", "pass,gamma", "--seed", "5",
                       "--scheduler", cluster.scheduler_address)
    assert rc == 1
    a, b = results(tmp_path / "local"), results(tmp_path / "dask")
    assert list(a) == list(b)
    for name in a:
        assert a[name]["z"] == b[name]["z"] and a[name]["details"] == b[name]["details"]
        assert a[name]["status"] == b[name]["status"]
    assert (tmp_path / "dask" / "alpha_pass.png").exists()  # drawn on the client side
    assert "dask scheduler" in (tmp_path / "dask" / "report.md").read_text()


@pytest.mark.parametrize("address", ["tcp://127.0.0.1:1", "nosuchscheme://127.0.0.1:1"])
def test_dask_bad_address_exit_2(fake_pkg, tmp_path, capsys, address):
    pytest.importorskip("dask.distributed")
    assert reproduce(fake_pkg, tmp_path / "o", "--only", "alpha", "--scheduler", address) == 2
    assert "Dask scheduler" in capsys.readouterr().err


# ----------------------------------------------------------------------------- report
def test_report_provenance(fake_pkg, tmp_path):
    out = tmp_path / "o"
    reproduce(fake_pkg, out, "--only", "alpha", "--jobs", "1", "--seed", "7")
    md = (out / "report.md").read_text()
    import numpy
    import solvable

    for needle in (f"solvable {solvable.__version__}", "git commit", f"numpy {numpy.__version__}", "numba",
                   "seed: `7`", "alpha_pass", "Nobody (arXiv:0000.00000)", "wall time", "![alpha_pass](alpha_pass.png)"):
        assert needle in md, needle
    res = results(out)["alpha_pass"]
    assert res["runtime_s"] >= 0 and res["seed"] == 7
    run = json.loads((out / "results.json").read_text())["run"]
    assert run["provenance"]["libraries"]["numpy"] == numpy.__version__


# ----------------------------------------------------------------------------- --out policy
def test_refuses_foreign_directory(fake_pkg, tmp_path, capsys):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.tex").write_text("precious")
    assert reproduce(fake_pkg, out, "--only", "alpha") == 2
    assert "--force" in capsys.readouterr().err
    assert sorted(os.listdir(out)) == ["thesis.tex"] and (out / "thesis.tex").read_text() == "precious"
    assert reproduce(fake_pkg, out, "--only", "alpha", "--force", "--jobs", "1") == 0
    assert (out / "thesis.tex").read_text() == "precious" and (out / "alpha_pass.png").exists()


def test_accepts_fresh_repository_figures_dir(fake_pkg, tmp_path):
    out = tmp_path / "figures"
    out.mkdir()
    (out / ".gitkeep").write_text("")
    (out / "README.md").write_text("figures are generated")
    assert reproduce(fake_pkg, out, "--only", "alpha", "--jobs", "1") == 0
    assert (out / "README.md").read_text() == "figures are generated"
    # a directory we marked is reused without --force
    assert reproduce(fake_pkg, out, "--only", "beta", "--jobs", "1") == 0


def test_out_is_a_file_exit_2(fake_pkg, tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    assert reproduce(fake_pkg, f, "--only", "alpha") == 2
    assert f.read_text() == "x"


# ----------------------------------------------------------------------------- atomic writes
class Boom(Exception):
    pass


@pytest.mark.parametrize("exc", [Boom, KeyboardInterrupt])
def test_save_figure_interrupted_leaves_no_partial_file(tmp_path, monkeypatch, exc):
    fig, ax = plotting.subplots()
    ax.plot([0, 1], [0, 1])
    real = fig.savefig
    calls = []

    def flaky(fname, **kw):
        calls.append(kw.get("format"))
        if kw.get("format") == "pdf":  # the PNG is complete, the PDF dies half-way
            with open(fname, "wb") as f:
                f.write(b"%PDF-1.4 half a fi")
            raise exc("interrupted while writing")
        return real(fname, **kw)

    monkeypatch.setattr(fig, "savefig", flaky)
    with pytest.raises(exc):
        plotting.save_figure(fig, tmp_path / "fig")
    assert calls == ["png", "pdf"]
    assert sorted(os.listdir(tmp_path)) == ["fig.png"]  # no fig.pdf, no temp file, no sidecar
    assert (tmp_path / "fig.png").read_bytes()[:4] == b"\x89PNG"


def test_failed_rewrite_keeps_the_old_complete_file(tmp_path, monkeypatch):
    fig, ax = plotting.subplots()
    ax.plot([0, 1], [1, 0])
    plotting.save_figure(fig, tmp_path / "fig", formats=("png",))
    old = (tmp_path / "fig.png").read_bytes()

    def broken(fname, **kw):
        with open(fname, "wb") as f:
            f.write(b"\x89PNG garbage")
        raise Boom()

    monkeypatch.setattr(fig, "savefig", broken)
    with pytest.raises(Boom):
        plotting.save_figure(fig, tmp_path / "fig", formats=("png",))
    assert (tmp_path / "fig.png").read_bytes() == old
    assert sorted(os.listdir(tmp_path)) == ["fig.json", "fig.png"]


def test_save_figure_sidecar_and_permissions(tmp_path):
    fig, ax = plotting.subplots()
    paths = plotting.save_figure(fig, tmp_path / "f", metadata={"seed": 4, "params": {"k": np.int64(3),
                                                                                      "a": np.arange(2)}})
    assert [p.name for p in paths] == ["f.png", "f.pdf", "f.json"]
    side = json.loads((tmp_path / "f.json").read_text())
    assert side["seed"] == 4 and side["params"] == {"k": 3, "a": [0, 1]}
    assert side["files"] == ["f.png", "f.pdf"] and "git_commit" in side and "numpy" in side["libraries"]
    assert (tmp_path / "f.pdf").read_bytes()[:4] == b"%PDF"
    mode = os.stat(tmp_path / "f.png").st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    assert mode == 0o666 & ~umask


def test_save_figure_missing_directory(tmp_path):
    fig, _ = plotting.subplots()
    with pytest.raises(FileNotFoundError):
        plotting.save_figure(fig, tmp_path / "nope" / "f")


# ----------------------------------------------------------------------------- demo, bench
def test_demo_list(capsys):
    assert cli.main(["demo", "--list"]) == 0
    out = capsys.readouterr().out
    for name in ("short-run-samples", "pcd-ula-bias", "cd-learns-pseudolikelihood", "jarzynski-fixes-pcd"):
        assert name in out


def test_demo_unknown_and_missing_name(capsys):
    assert cli.main(["demo", "no-such-demo"]) == 2
    assert "solvable demo --list" in capsys.readouterr().err
    assert cli.main(["demo"]) == 2


def test_demo_runs_and_saves(tmp_path, monkeypatch, capsys):
    from solvable import demos

    def tiny(quick, seed, say):
        say("a tiny demo")
        fig, ax = plotting.subplots()
        ax.plot([seed, 1])
        return fig

    monkeypatch.setitem(demos.DEMOS, "tiny", demos.Demo("tiny", "Tiny", tiny))
    assert cli.main(["demo", "tiny", "--out", str(tmp_path / "d"), "--seed", "2"]) == 0
    assert "a tiny demo" in capsys.readouterr().out
    assert json.loads((tmp_path / "d" / "demo_tiny.json").read_text())["seed"] == 2
    assert (tmp_path / "d" / "demo_tiny.png").exists()


@pytest.mark.slow
@pytest.mark.parametrize("name", ["short-run-samples", "pcd-ula-bias", "cd-learns-pseudolikelihood",
                                  "jarzynski-fixes-pcd"])
def test_real_demos_run(name, tmp_path, capsys):
    assert cli.main(["demo", name, "--quick", "--out", str(tmp_path)]) == 0
    assert list(tmp_path.glob("demo_*.png"))


def test_bench_hook(monkeypatch, capsys):
    import types

    seen = []
    fake = types.ModuleType("bench")
    fake.main = lambda argv: seen.append(argv) or 3
    monkeypatch.setitem(sys.modules, "solvable.bench", fake)
    assert cli.main(["bench", "--quick", "x"]) == 3
    assert seen == [["--quick", "x"]]
    monkeypatch.setitem(sys.modules, "solvable.bench", types.ModuleType("bench"))  # no main yet
    assert cli.main(["bench"]) == 2
    assert "main" in capsys.readouterr().err


# ----------------------------------------------------------------------------- README table generator
@pytest.fixture(scope="module")
def readme_tool():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "scripts" / "make_readme_table.py"
    spec = importlib.util.spec_from_file_location("make_readme_table", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_readme_table_generated_from_registry_and_results(readme_tool, fake_pkg, tmp_path):
    out = tmp_path / "o"
    reproduce(fake_pkg, out, "--only", "alpha,gamma", "--jobs", "1")
    readme = tmp_path / "README.md"
    readme.write_text("# Title\n\nintro\n<!-- checks:start -->\nhand-written junk\n<!-- checks:end -->\n\ntail\n")
    argv = ["--readme", str(readme), "--results", str(out / "results.json"), "--package", fake_pkg]
    assert readme_tool.main(argv + ["--check"]) == 1  # out of date
    assert readme_tool.main(argv) == 0
    text = readme.read_text()
    assert text.startswith("# Title\n\nintro\n<!-- checks:start -->\n") and text.endswith("<!-- checks:end -->\n\ntail\n")
    assert "hand-written junk" not in text
    rows = {line.split("|")[1].strip(): line for line in text.splitlines() if line.startswith("| `")}
    assert set(rows) == {"`alpha_pass`", "`beta_pass`", "`delta_crash`", "`epsilon_drawfail`", "`gamma_fail`"}
    assert "**PASS**" in rows["`alpha_pass`"] and "**FAIL**" in rows["`gamma_fail`"]
    assert "not run" in rows["`beta_pass`"]
    assert "Nobody (arXiv:0000.00000)" in rows["`alpha_pass`"] and "fake claim alpha_pass" in rows["`alpha_pass`"]
    assert "1/2 passed" in text
    assert readme_tool.main(argv + ["--check"]) == 0  # now up to date
    assert readme_tool.main(argv) == 0 and readme.read_text() == text  # idempotent


def test_readme_table_errors(readme_tool, fake_pkg, tmp_path):
    readme = tmp_path / "README.md"
    assert readme_tool.main(["--readme", str(readme)]) == 2  # missing file
    readme.write_text("no markers here\n")
    assert readme_tool.main(["--readme", str(readme), "--package", fake_pkg]) == 2
    assert readme.read_text() == "no markers here\n"
    readme.write_text("<!-- checks:start -->\n<!-- checks:end -->\n")
    assert readme_tool.main(["--readme", str(readme), "--results", str(tmp_path / "none.json"),
                             "--package", fake_pkg]) == 0
    assert "No results yet" in readme.read_text() and readme.read_text().count("not run") == 5


# ----------------------------------------------------------------------------- issue 13 section 5, issue 10
def _md_cells(line):
    """Cells of a markdown table row, splitting on unescaped ``|`` only."""
    import re

    return [c for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]


def _summary_rows(text):
    lines = text.splitlines()
    i = next(n for n, line in enumerate(lines) if line.startswith("| check |"))
    rows = []
    for line in lines[i:]:
        if not line.startswith("|"):
            break
        rows.append(line)
    return rows


def test_report_table_parses_with_equal_cell_counts(fake_pkg, tmp_path):
    """report.md's summary table: every row has as many cells as the header (|z| and claims escaped)."""
    out = tmp_path / "o"
    reproduce(fake_pkg, out, "--only", "alpha,gamma,delta", "--jobs", "1")
    rows = _summary_rows((out / "report.md").read_text())
    n = len(_md_cells(rows[0]))
    assert n == 9 and len(rows) == 2 + 3
    assert all(len(_md_cells(r)) == n for r in rows), rows
    score = _md_cells(rows[2])[5]
    assert "max\\|z\\|=" in score  # the z column is filled, escaped


def test_report_cell_escapes_pipes_and_the_old_bug_is_caught():
    from solvable import report

    bad = "| a | max|z|=2.04 |"
    assert len(_md_cells(bad)) == 4  # unescaped: two cells too many (the 8-vs-6 bug of issue 13)
    good = f"| a | {report._md_cell('max|z|=2.04')} |"
    assert len(_md_cells(good)) == 2


def test_terminal_table_explains_the_score(fake_pkg, tmp_path, capsys):
    reproduce(fake_pkg, tmp_path / "o", "--only", "alpha", "--jobs", "1")
    out = capsys.readouterr().out
    assert "max|z|=" in out and "PASS needs max|z| <= 5" in out


def test_one_line_per_finished_check_when_not_a_terminal(fake_pkg, tmp_path, capsys):
    """stdout/stderr captured (not a terminal): each finished check prints one line."""
    assert cli.main(["reproduce", "--package", fake_pkg, "--out", str(tmp_path / "o"), "--only", "pass",
                     "--jobs", "1", "--formats", "png"]) == 0
    out = capsys.readouterr().out
    assert "[1/2] PASS  alpha_pass" in out and "[2/2] PASS  beta_pass" in out


def test_progress_label_names_the_running_checks():
    import io

    class Tty(io.StringIO):
        def isatty(self):
            return True

    stream = Tty()
    p = cli._Progress(["a", "b", "c"], stream=stream)
    p.started("a")
    p.started("b")
    assert p._label() == "running a, b"
    p.finished(CheckResult(name="a", claim="", source=Source("x", ""), prediction="", measurement="",
                           passed=True))
    assert p._label() == "running b" and p.done == 1
    p.close()
    assert "running a, b" in stream.getvalue()


def test_negative_seed_is_a_usage_error_and_writes_nothing(fake_pkg, tmp_path, capsys):
    out = tmp_path / "o"
    assert reproduce(fake_pkg, out, "--seed", "-1") == 2
    assert "--seed" in capsys.readouterr().err
    assert not out.exists()
    assert cli.main(["demo", "short-run-samples", "--seed", "-1", "--out", str(out)]) == 2
    assert not out.exists()


def test_only_is_case_insensitive(fake_pkg, tmp_path, capsys):
    assert reproduce(fake_pkg, tmp_path / "o", "--only", "ALPHA,Beta_*", "--list") == 0
    out = capsys.readouterr().out
    assert "alpha_pass" in out and "beta_pass" in out and "gamma" not in out


def test_demo_without_name_says_why(capsys):
    assert cli.main(["demo"]) == 2
    err = capsys.readouterr().err
    assert "name a demo" in err and "short-run-samples" in err


def test_failed_start_leaves_no_output_directory(fake_pkg, tmp_path, capsys):
    out = tmp_path / "o"
    assert reproduce(fake_pkg, out, "--scheduler", "tcp://127.0.0.1:1") == 2
    assert not out.exists()


def test_crashing_run_removes_its_empty_marked_directory(fake_pkg, tmp_path, monkeypatch):
    def broken(*a, **k):
        raise RuntimeError("the run died")

    monkeypatch.setattr(cli, "_reproduce_into", broken)
    out = tmp_path / "o"
    with pytest.raises(RuntimeError, match="the run died"):
        reproduce(fake_pkg, out)
    assert not out.exists()
    keep = tmp_path / "keep"  # a directory that existed before is never removed
    keep.mkdir()
    with pytest.raises(RuntimeError):
        reproduce(fake_pkg, keep)
    assert keep.is_dir()


def test_version_and_python_dash_m(capsys):
    import subprocess

    from solvable import __version__

    assert cli.main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"solvable {__version__}"
    r = subprocess.run([sys.executable, "-m", "solvable", "--version"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and r.stdout.strip() == f"solvable {__version__}"


def test_sweep_does_not_import_the_cli():
    """No upward import: the worker set-up lives in solvable._pool, below both sweep and cli."""
    import ast
    from pathlib import Path

    src = (Path(__file__).resolve().parent.parent / "solvable" / "sweep.py").read_text()
    mods = {getattr(n, "module", None) for n in ast.walk(ast.parse(src)) if isinstance(n, ast.ImportFrom)}
    assert "cli" not in mods and "_pool" in mods
    assert not hasattr(cli, "_init_worker")


def test_provenance_lives_in_its_own_module(tmp_path):
    from solvable import provenance

    assert plotting.provenance is provenance.provenance  # re-exported for old callers
    p = provenance.atomic_write_text(tmp_path / "a.txt", "hello\n")
    assert p.read_text() == "hello\n" and sorted(os.listdir(tmp_path)) == ["a.txt"]
    info = provenance.provenance()
    assert {"solvable_version", "git_commit", "python", "libraries"} <= set(info)


def test_formulas_from_symbolic_are_optional(monkeypatch):
    """report.md and the terminal show each check's formulas when solvable.symbolic knows them; a missing or
    failing module hides them and breaks nothing."""
    import types

    import sympy

    from solvable import report

    r = CheckResult(name="x_check", claim="c", source=Source("A", ""), prediction="p", measurement="m",
                    passed=True, z=1.0, runtime_s=0.1)
    monkeypatch.setitem(sys.modules, "solvable.symbolic", None)  # import fails
    assert report.formulas("x_check") == [] and "x_check" in report.table([r])
    fake = types.ModuleType("solvable.symbolic")
    a, b = sympy.symbols("a b")
    fake.check_formulas = lambda name: [("rule", sympy.Eq(a, b / 2))] if name == "x_check" else []
    monkeypatch.setitem(sys.modules, "solvable.symbolic", fake)
    assert "rule: a = b/2" in report.table([r])
    assert r"$$a = \frac{b}{2}$$" in report.markdown([r], {"provenance": {"solvable_version": "0", "git_commit": None,
                                                                          "python": "3", "libraries": {}}})
    fake.check_formulas = lambda name: 1 / 0
    assert report.formulas("x_check") == []


def test_bench_help_names_the_command(capsys):
    """`solvable bench --help` describes `solvable bench`, not a `python -m bench` of an old issue."""
    try:
        rc = cli.main(["bench", "--help"])
    except SystemExit as exc:  # argparse's --help
        rc = exc.code
    out = capsys.readouterr().out
    assert rc in (0, None) and "usage: solvable bench" in out and "issue 7" not in out


def test_pool_order_is_longest_first_from_earlier_runtimes(tmp_path):
    import json

    from solvable import cli

    def write(d, rows):
        d.mkdir(exist_ok=True)
        (d / "results.json").write_text(json.dumps({"run": {}, "checks": rows}))

    out = tmp_path / "out"
    write(out, [{"name": "a", "runtime_s": 5.0, "quick": False}, {"name": "b", "runtime_s": 50.0, "quick": False},
                {"name": "c", "runtime_s": 1.0, "quick": True}, {"name": "d", "runtime_s": 9.0, "quick": True}])
    # full mode: a, b timed in full mode; c, d only in quick mode; e never timed -> first
    assert cli.longest_first(["a", "b", "c", "d", "e"], False, out)[:3] == ["e", "b", "d"]
    order = cli.longest_first(["a", "b", "c", "d", "e"], True, out)
    assert order[0] == "e" and order.index("d") < order.index("c")
    (out / "results.json").write_text("{not json")  # a broken file is ignored, the order stays a permutation
    assert sorted(cli.longest_first(["x", "y"], True, out)) == ["x", "y"]
