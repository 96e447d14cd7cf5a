# One rule per figure family; all draw with nndl3.plotting's single style.

PLOT = "python -m nndl3 plot --spec {params.spec:q} --inputs {input} --out {output} > {log} 2>&1"


rule plot_curves:
    input:
        figure_inputs,
    output:
        "figures/{figure}.png",
    log:
        "logs/figures/{figure}.log",
    wildcard_constraints:
        figure=one_of(figures_of("curves")),
    conda:
        "../envs/nndl3.yaml"
    params:
        spec=figure_spec_json,
    shell:
        PLOT


rule plot_sweep:
    input:
        figure_inputs,
    output:
        "figures/{figure}.png",
    log:
        "logs/figures/{figure}.log",
    wildcard_constraints:
        figure=one_of(figures_of("sweep")),
    conda:
        "../envs/nndl3.yaml"
    params:
        spec=figure_spec_json,
    shell:
        PLOT


rule plot_neuron:
    input:
        figure_inputs,
    output:
        "figures/{figure}.png",
    log:
        "logs/figures/{figure}.log",
    wildcard_constraints:
        figure=one_of(figures_of("neuron")),
    conda:
        "../envs/nndl3.yaml"
    params:
        spec=figure_spec_json,
    shell:
        PLOT


rule rotation_example:
    input:
        figure_inputs,
    output:
        "figures/{figure}.png",
    log:
        "logs/figures/{figure}.log",
    wildcard_constraints:
        figure=one_of(figures_of("digit")),
    conda:
        "../envs/nndl3.yaml"
    params:
        spec=figure_spec_json,
    shell:
        PLOT


rule plot_function:
    output:
        "figures/{figure}.png",
    log:
        "logs/figures/{figure}.log",
    wildcard_constraints:
        figure=one_of(figures_of("function")),
    conda:
        "../envs/nndl3.yaml"
    params:
        spec=figure_spec_json,
    shell:
        PLOT
