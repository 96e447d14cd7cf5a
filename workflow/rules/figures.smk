# One rule per figure family; all draw with nndl3.plotting's single style.

PLOT = (
    "python -m nndl3 plot --spec {params.spec:q} --inputs {input.data} --book {input.book}"
    " --out {output} > {log} 2>&1"
)


rule plot_curves:
    input:
        unpack(figure_inputs),
    output:
        report(
            "figures/{figure}.png",
            caption="../report/curves.rst",
            category="Training curves",
        ),
    log:
        "logs/figures/{figure}.log",
    wildcard_constraints:
        figure=one_of(figures_of("curves")),
    params:
        spec=figure_spec_json,
    shell:
        PLOT


rule plot_sweep:
    input:
        unpack(figure_inputs),
    output:
        report(
            "figures/{figure}.png",
            caption="../report/sweep.rst",
            category="Sweeps over data size and rotation",
        ),
    log:
        "logs/figures/{figure}.log",
    wildcard_constraints:
        figure=one_of(figures_of("sweep")),
    params:
        spec=figure_spec_json,
    shell:
        PLOT


rule plot_neuron:
    input:
        unpack(figure_inputs),
    output:
        report(
            "figures/{figure}.png",
            caption="../report/neuron.rst",
            category="Section 1: the single neuron",
        ),
    log:
        "logs/figures/{figure}.log",
    wildcard_constraints:
        figure=one_of(figures_of("neuron")),
    params:
        spec=figure_spec_json,
    shell:
        PLOT


rule rotation_example:
    input:
        unpack(figure_inputs),
    output:
        report(
            "figures/{figure}.png",
            caption="../report/digit.rst",
            category="Section 6: rotation",
        ),
    log:
        "logs/figures/{figure}.log",
    wildcard_constraints:
        figure=one_of(figures_of("digit")),
    params:
        spec=figure_spec_json,
    shell:
        PLOT


rule plot_function:
    input:
        unpack(figure_inputs),
    output:
        report(
            "figures/{figure}.png",
            caption="../report/function.rst",
            category="Section 9: functions",
        ),
    log:
        "logs/figures/{figure}.log",
    wildcard_constraints:
        figure=one_of(figures_of("function")),
    params:
        spec=figure_spec_json,
    shell:
        PLOT
