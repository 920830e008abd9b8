"""Convert several runners: one outcome per runner, so that one bad file does not stop the rest."""

from __future__ import annotations

import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

from porter.convert import Conversion, convert_source
from porter.files import checkout_reader, checkout_state, root_of_runner, runner_files
from porter.findings import Finding, PortError, Severity
from porter.options import Options, PathRoles


@dataclass(frozen=True)
class Job:
    runner: Path
    root: Path
    display_path: str     # relative to the checkout root when the runner lies in it


@dataclass(frozen=True)
class Outcome:
    job: Job
    conversion: Conversion | None = None
    error: Finding | None = None
    internal_error: str | None = None     # a traceback: a bug in specport, not in the runner

    @property
    def output_name(self) -> str | None:
        return f"{self.conversion.module_name}.py" if self.conversion else None


def collect_jobs(runners: Sequence[Path], root: Path) -> list[Job]:
    """Jobs for the given runner files, or for every runner of the checkout when none is given."""
    paths = list(runners) or runner_files(root)
    jobs = []
    for path in paths:
        job_root = root_of_runner(path, root)
        try:
            display = path.resolve().relative_to(job_root.resolve()).as_posix()
        except ValueError:
            display = path.as_posix()
        jobs.append(Job(path, job_root, display))
    return jobs


def convert_jobs(jobs: Sequence[Job], path_roles: Mapping[str, PathRoles]) -> list[Outcome]:
    readers = {}
    states = {}
    outcomes = []
    for job in jobs:
        if job.root not in readers:
            readers[job.root] = checkout_reader(job.root)
            states[job.root] = checkout_state(job.root)
        state = states[job.root]
        options = Options(
            spec_bench_commit=state.commit,
            spec_bench_dirty=job.display_path in state.changed_paths,
            path_roles=path_roles,
        )
        try:
            source = job.runner.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            finding = Finding(Severity.ERROR, job.display_path, None, "file", f"cannot read the runner: {error}",
                              "Check the path and that the file is UTF-8 text")
            outcomes.append(Outcome(job, error=finding))
            continue
        try:
            conversion = convert_source(source, job.display_path, read_source=readers[job.root], options=options)
        except PortError as error:
            outcomes.append(Outcome(job, error=error.finding))
        except Exception:  # noqa: BLE001 - reported per runner as an internal error, exit code 123
            outcomes.append(Outcome(job, internal_error=traceback.format_exc()))
        else:
            outcomes.append(Outcome(job, conversion=conversion))
    return outcomes
