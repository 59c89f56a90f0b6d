"""`escsim fit`: a synthetic event file and map in, a results folder and a
fitted scenario that runs out; bad input refused with located messages and
nothing written; an unconverged fit exits 1 with its best point written.

The event file is one replication of the project's own engine (a
self-exciting attack stream and a Poisson strike stream, 200 days, cut to
whole days as a dated record is), so the fit has something real to find.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner, Result

from sim.cli import app
from sim.scenario import load_scenario
from tests.conftest import dump, files_under, flat, line_of, minimal_scenario
from tests.experiments.fit.helpers import engine_data

START = dt.date(2020, 1, 1)
DAYS = 200
MAP = """\
period: {from: 2020-01-01, to: 2020-07-18}
events:
  attack:
    where: {type: ATTACK}
  strike:
    where: {type: STRIKE}
"""
FAST = ["--intervals", "wald"]


def invoke(*args: object) -> Result:
    return CliRunner().invoke(app, [str(a) for a in args])


def event_rows() -> str:
    data = engine_data(
        float(DAYS),
        {
            "attack": {"rate": 1.0, "self_excitation": {"branching": 0.5, "decay_days": 3.0}},
            "strike": {"rate": 0.3},
        },
        seed=3,
        days=True,
    )
    rows = sorted(
        ((START + dt.timedelta(days=int(t))).isoformat(), event.upper())
        for event in data.events
        for t in data.times[event]
    )
    return "date,type\n" + "".join(f"{date},{kind}\n" for date, kind in rows)


def write_inputs(folder: Path, map_text: str = MAP, events: str | None = None) -> None:
    (folder / "events.csv").write_text(events if events is not None else event_rows())
    (folder / "map.yaml").write_text(map_text, encoding="utf-8")
    (folder / "scenario.yaml").write_text(dump(minimal_scenario()), encoding="utf-8")


@pytest.fixture(scope="module")
def fitted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Result]:
    """One fit with a base scenario and --scenario-out, shared by the tests
    that read its outputs (absolute paths: the working folder is not changed)."""
    folder = tmp_path_factory.mktemp("fit")
    write_inputs(folder)
    result = invoke(
        "fit",
        folder / "events.csv",
        "--map",
        folder / "map.yaml",
        "--scenario",
        folder / "scenario.yaml",
        "--out",
        folder / "results",
        "--scenario-out",
        folder / "mini.fitted.yaml",
    )
    return folder, result


def test_fit_writes_the_results_folder(fitted):
    folder, result = fitted
    assert result.exit_code == 0, result.output
    results = folder / "results"
    for name in (
        "report.html",
        "estimates.csv",
        "comparison.csv",
        "gof_ks.csv",
        "qq.csv",
        "intensity_by_day.csv",
        "branching.csv",
        "qq.png",
        "intensity_attack.png",
        "intensity_strike.png",
        "branching.png",
        "fitted.yaml",
        "manifest.json",
    ):
        assert (results / name).is_file(), name
    estimates = pd.read_csv(results / "estimates.csv").set_index("parameter")
    branching = estimates.loc["streams.attack.self_excitation.branching"]
    assert branching["lower"] <= branching["estimate"] <= branching["upper"]
    assert len(estimates.filter(like="streams.attack.rate[", axis=0)) == 7  # monthly
    comparison = pd.read_csv(results / "comparison.csv")
    assert set(comparison["model"]) == {
        f"{e} / {b}" for e in ("none", "self", "cross") for b in ("constant", "monthly")
    }
    assert len(pd.read_csv(results / "intensity_by_day.csv")) == 2 * DAYS
    manifest = json.loads((results / "manifest.json").read_text())
    sha = hashlib.sha256((folder / "events.csv").read_bytes()).hexdigest()
    assert [d["sha256"] for d in manifest["data"]] == [sha]
    assert manifest["period"] == {"from": "2020-01-01", "to": "2020-07-18", "days": DAYS}
    assert manifest["spec"]["baseline"] == "monthly"
    assert manifest["result"]["converged"] is True
    assert "escalation-sim" in manifest["versions"]
    report = (results / "report.html").read_text()
    assert "attack: branching" in report and "KS p =" in report
    output = flat(result.stdout)
    assert "Model comparison" in output and "Time-rescaling KS test" in output
    assert "streams.attack.self_excitation.branching" in output


def test_the_fitted_scenario_extends_the_base_loads_and_runs(fitted):
    folder, _ = fitted
    results = folder / "results"
    estimates = pd.read_csv(results / "estimates.csv").set_index("parameter")["estimate"]
    for path in (results / "fitted.yaml", folder / "mini.fitted.yaml"):
        text = path.read_text()
        assert text.startswith("# The scenario ")
        assert "# Information cut-off: 2020-07-18" in text
        assert "# Regenerate with: escsim fit " in text
        s = load_scenario(path)
        assert s.name == "mini-fitted"
        assert len(s.rules) == 1  # the base's rule is kept
        attack = s.streams["attack"]
        assert attack.excited_by == {}  # the base's hand-typed kernel was not fitted: removed
        assert attack.self_excitation.branching == pytest.approx(
            estimates["streams.attack.self_excitation.branching"], rel=1e-5
        )
        assert attack.rate == pytest.approx(estimates["streams.attack.rate[2020-07-01]"], rel=1e-5)
    run = invoke(
        "run",
        folder / "mini.fitted.yaml",
        "--reps",
        "20",
        "--workers",
        "1",
        "--no-progress",
        "--out",
        folder / "run",
    )
    assert run.exit_code == 0, run.output
    assert (folder / "run" / "report.html").is_file()


def test_escsim_sources_lists_every_fitted_number_with_its_data(fitted):
    folder, _ = fitted
    listed = invoke("sources", folder / "mini.fitted.yaml", "--csv", folder / "sources.csv")
    assert listed.exit_code == 0, listed.output
    table = pd.read_csv(folder / "sources.csv").set_index("path")
    sha = hashlib.sha256((folder / "events.csv").read_bytes()).hexdigest()
    for stream in ("streams.attack", "streams.strike"):
        fact = table.loc[stream, "fact"]
        assert f"sha256 {sha}" in fact
        assert "events.csv" in fact and "2020-01-01..2020-07-18" in fact
        assert "maximum likelihood" in fact and "95%" in fact
    assert "where type = ATTACK" in table.loc["streams.attack", "fact"]
    assert "streams.attack" in flat(listed.stdout)


def test_without_a_scenario_the_fit_writes_a_scenario_of_its_own(project):
    write_inputs(project)
    result = invoke("fit", "events.csv", "--map", "map.yaml", "--events", "attack", *FAST)
    assert result.exit_code == 0, result.output
    fitted_file = project / "results" / "map-fit" / "fitted.yaml"
    s = load_scenario(fitted_file)
    assert s.start_date == dt.date(2020, 7, 19)  # the day after the data end
    assert list(s.streams) == ["attack"]
    outcome = s.outcomes["attack_as_many_as_last_30_days"]
    counts = pd.read_csv("events.csv").query("type == 'ATTACK' and date >= '2020-06-19'")
    assert outcome.count_at_least == len(counts)
    header = yaml.safe_load(fitted_file.read_text())
    assert header["horizon_days"] == 30
    again = invoke("fit", "events.csv", "--map", "map.yaml", "--events", "attack", *FAST)
    assert again.exit_code == 2
    assert "already exists" in flat(again.stderr)


def test_an_unconverged_fit_exits_1_and_keeps_its_best_point(project):
    write_inputs(project)
    result = invoke("fit", "events.csv", "--map", "map.yaml", "--max-iterations", "2", *FAST)
    assert result.exit_code == 1, result.output
    assert "the fit did not converge" in flat(result.stderr)
    manifest = json.loads((project / "results" / "map-fit" / "manifest.json").read_text())
    assert manifest["result"]["converged"] is False
    assert "Traceback" not in result.output


def test_ctrl_c_during_the_fit_exits_130_and_writes_nothing(project, monkeypatch):
    write_inputs(project)
    before = files_under(project)

    def interrupted(*_: object, **__: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("sim.experiments.fit.fit_streams", interrupted)
    result = invoke("fit", "events.csv", "--map", "map.yaml")
    assert result.exit_code == 130
    assert files_under(project) == before


# --- bad input: exit 2, a located message, nothing written ----------------------------------


def refused(project: Path, *args: object) -> str:
    before = files_under(project)
    result = invoke("fit", *args)
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    assert files_under(project) == before, "a refused fit must write nothing"
    return flat(result.stderr)


def test_a_missing_event_file(project):
    write_inputs(project)
    message = refused(project, "nope.csv", "--map", "map.yaml")
    assert "nope.csv: expected an existing event file, found no such file" in message


def test_a_missing_map_file(project):
    write_inputs(project)
    assert "--map nomap.yaml: no such map file" in refused(
        project, "events.csv", "--map", "nomap.yaml"
    )


def test_missing_columns(project):
    write_inputs(project, events="date,kind\n2020-01-02,ATTACK\n")
    message = refused(project, "events.csv", "--map", "map.yaml")
    assert (
        "events.csv:1: type: expected a column 'type' (filter of events.attack), "
        "found columns date, kind" in message
    )


def test_an_unparseable_date_names_its_row_and_column(project):
    write_inputs(project, events="date,type\n2020-01-02,ATTACK\nsoon,STRIKE\n")
    message = refused(project, "events.csv", "--map", "map.yaml")
    assert "events.csv:3: date: expected a date like 2024-01-15" in message
    assert "found 'soon'" in message


def test_a_map_matching_no_rows(project):
    write_inputs(project, map_text=MAP.replace("type: STRIKE", "type: VBIED"))
    message = refused(project, "events.csv", "--map", "map.yaml")
    line = line_of(project / "map.yaml", "strike:")
    assert (
        f"map.yaml:{line}: events.strike: expected a filter matching at least one row of "
        "events.csv in the period, found no rows where type = VBIED" in message
    )


def test_a_map_naming_an_event_id_the_scenario_lacks(project):
    write_inputs(project, map_text=MAP.replace("  strike:", "  bombing:"))
    message = refused(project, "events.csv", "--map", "map.yaml", "--scenario", "scenario.yaml")
    line = line_of(project / "map.yaml", "bombing:")
    assert (
        f"map.yaml:{line}: events.bombing: expected an event id of scenario 'mini' "
        "(one of: attack, strike), found 'bombing'" in message
    )


def test_an_empty_period(project):
    write_inputs(project, map_text=MAP.replace("to: 2020-07-18", "to: 2019-12-01"))
    message = refused(project, "events.csv", "--map", "map.yaml")
    assert "map.yaml:1: period: expected 'to' on or after 'from' (2020-01-01)" in message
    assert "(empty period)" in message


def test_dates_outside_the_period_only(project):
    write_inputs(
        project, map_text=MAP.replace("2020-01-01, to: 2020-07-18", "2010-01-01, to: 2010-12-31")
    )
    message = refused(project, "events.csv", "--map", "map.yaml")
    assert "map.yaml:1: period: expected a period overlapping the dates of events.csv" in message


@pytest.mark.parametrize(
    ("option", "value", "expected"),
    [
        ("--excitation", "mutual", "--excitation must be poisson, self or cross"),
        ("--baseline", "weekly", "--baseline must be constant or monthly"),
        ("--events", "attack,nope", "--events attack,nope: expected event ids of map.yaml"),
        ("--scenario-out", "fitted.txt", "must be a .yaml file"),
    ],
)
def test_bad_options(project, option, value, expected):
    write_inputs(project)
    assert expected in refused(project, "events.csv", "--map", "map.yaml", option, value)


def test_an_existing_scenario_out_is_not_replaced_without_force(project):
    write_inputs(project)
    (project / "fitted.yaml").write_text("keep me")
    message = refused(project, "events.csv", "--map", "map.yaml", "--scenario-out", "fitted.yaml")
    assert "fitted.yaml already exists" in message
    assert (project / "fitted.yaml").read_text() == "keep me"


def test_force_replaces_only_a_fitted_scenario_escsim_wrote(project):
    """`--force` replaced any YAML file, a hand-written scenario included."""
    write_inputs(project)
    (project / "mine.yaml").write_text("name: mine  # hand-written\n")
    args = ("events.csv", "--map", "map.yaml", "--scenario-out", "mine.yaml", "--force")
    assert "was not written by escsim fit" in refused(project, *args)
    assert (project / "mine.yaml").read_text() == "name: mine  # hand-written\n"


def test_the_base_scenario_is_never_the_scenario_out(project):
    write_inputs(project)
    args = ("events.csv", "--map", "map.yaml", "--scenario", "scenario.yaml")
    message = refused(project, *args, "--scenario-out", "./scenario.yaml", "--force")
    assert "is the --scenario or a file it extends" in message


def test_a_scenario_out_below_a_file_is_refused(project):
    write_inputs(project)
    (project / "afile").write_text("x")
    message = refused(project, "events.csv", "--map", "map.yaml", "--scenario-out", "afile/f.yaml")
    assert "cannot create afile: a file of that name exists" in message


def test_a_refused_fit_makes_no_scenario_out_folder(project):
    """The folder is made when the fitted scenario is written, so a refusal
    after the option checks (here an unknown event id) leaves nothing."""
    write_inputs(project)
    args = ("events.csv", "--map", "map.yaml", "--scenario-out", "new/f.yaml", "--events", "nope")
    assert "expected event ids of map.yaml" in refused(project, *args)


def test_a_failing_ks_test_is_said_plainly(project):
    """Poisson with a constant baseline on bursts (30 attacks every 20th day,
    one every 4th day otherwise): the timing is plainly not described."""
    days = [d for d in range(0, DAYS, 20) for _ in range(30)] + list(range(2, DAYS, 4))
    rows = sorted((START + dt.timedelta(days=d)).isoformat() for d in days)
    write_inputs(
        project,
        map_text=MAP.split("  strike:")[0],
        events="date,type\n" + "".join(f"{d},ATTACK\n" for d in rows),
    )
    result = invoke(
        "fit",
        "events.csv",
        "--map",
        "map.yaml",
        "--excitation",
        "poisson",
        "--baseline",
        "constant",
    )
    assert result.exit_code == 0, result.output
    output = flat(result.stdout)
    assert "the KS test fails for attack: the fit does not describe these data" in output
    report = (project / "results" / "map-fit" / "report.html").read_text()
    assert "the KS test fails for attack" in report


def test_the_committed_iraq_scenario_names_its_data_for_every_stream(tmp_path):
    """scenarios/iraq_2007_08_insurgency.yaml was written by escsim fit on the
    shared Iraq files; it loads without them and each stream cites them."""
    from tests.conftest import SCENARIOS

    path = SCENARIOS / "iraq_2007_08_insurgency.yaml"
    assert "# Regenerate with: escsim fit --map data_maps/iraq_2007_08.yaml" in path.read_text()
    s = load_scenario(path)
    assert set(s.streams) == {"ied_attack", "saf_attack", "other_attack", "us_airstrike"}
    insurgent = "iraq_insurgent_events_2007-02-23_2008-07-05.csv (sha256 f40c10534148dbd3"
    airstrikes = "iraq_us_airstrikes_2007-02-23_2008-07-05.csv (sha256 00432603bb51a126"
    for event, stream in s.streams.items():
        text = stream.assumption or ""
        assert "2007-03-01..2008-06-30" in text and "maximum likelihood" in text, event
        assert (airstrikes if event == "us_airstrike" else insurgent) in text, event
    listed = invoke("sources", path, "--csv", tmp_path / "sources.csv")
    assert listed.exit_code == 0, listed.output
    table = pd.read_csv(tmp_path / "sources.csv")
    fitted = table[table["path"].str.startswith("streams.")]
    assert sorted(fitted["path"]) == sorted(f"streams.{e}" for e in s.streams)
    assert fitted["fact"].str.contains("sha256 ").all()


def test_a_scenario_out_in_another_folder_extends_the_base_by_a_relative_path(project):
    write_inputs(project)
    (project / "variants").mkdir()
    result = invoke(
        "fit",
        "events.csv",
        "--map",
        "map.yaml",
        "--scenario",
        "scenario.yaml",
        "--scenario-out",
        "variants/fitted.yaml",
        "--events",
        "attack",
        *FAST,
    )
    assert result.exit_code == 0, result.output
    written = yaml.safe_load((project / "variants" / "fitted.yaml").read_text())
    assert written["extends"] == "../scenario.yaml"
    assert load_scenario(project / "variants" / "fitted.yaml").streams["attack"].rate > 0
    assert (
        yaml.safe_load((project / "results" / "map-fit" / "fitted.yaml").read_text())["extends"]
        == "../../scenario.yaml"
    )
