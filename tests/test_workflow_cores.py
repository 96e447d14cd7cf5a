"""`snakemake --cores N` runs at most N one-thread jobs at a time, with the Snakemake the
project installs. Snakemake 9.10 to 9.16 started a third job on 2 cores once the first job
had ended (snakemake/snakemake#3913); with 9.15.0 this test saw 3 jobs at once."""

import subprocess
import sys

SNAKEFILE = """
rule all:
    input: expand("out/{i}", i=range(4))

rule first:
    output: "first"
    shell: "touch {output}"

rule wait:
    input: "first"
    output: "out/{i}"
    shell: "date +%s.%N > {output}; sleep 1; date +%s.%N >> {output}"
"""


def most_at_once(intervals):
    """The most intervals open at one instant (an end before a start at the same time)."""
    events = sorted([(start, 1) for start, _ in intervals] + [(end, -1) for _, end in intervals])
    running = peak = 0
    for _, step in events:
        running += step
        peak = max(peak, running)
    return peak


def test_most_at_once():
    assert most_at_once([(0, 1), (1, 2), (2, 3)]) == 1
    assert most_at_once([(0, 2), (1, 3), (1.5, 4)]) == 3


def test_cores_bound_the_jobs_running_at_once(tmp_path):
    (tmp_path / "Snakefile").write_text(SNAKEFILE)
    subprocess.run([sys.executable, "-m", "snakemake", "--cores", "2", "--quiet"],
                   cwd=tmp_path, check=True, capture_output=True)
    intervals = [tuple(map(float, path.read_text().split()))
                 for path in (tmp_path / "out").iterdir()]
    assert len(intervals) == 4
    assert most_at_once(intervals) == 2
