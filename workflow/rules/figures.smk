# One rule draws every figure; its family (nndl3.figures.FAMILIES) says what it is drawn
# from (one option per input role), how it is drawn and its caption; its section of the
# chapter is its category in the HTML report.

PLOT = (
    "python -m nndl3 plot --spec {params.spec:q} "
    + " ".join(f"--{role} {{input.{role}}}" for role in nndl3_figures.ROLES)
    + " --records {input.records}"
    + " --published {params.published:q} --book-settings {params.book_settings:q}"
    + " --out {output} > {log} 2>&1"
)


rule plot:
    input:
        unpack(figure_inputs),
    output:
        report(
            paths.FIGURE,
            caption="../report/figure.rst",
            category=figure_category,
        ),
    log:
        "logs/figures/{figure}.log",
    benchmark:
        benchmark_file("plot", "{figure}")
    wildcard_constraints:
        figure=one_of(FIGURES),
    params:
        spec=figure_spec_json,
        published=published_json,
        book_settings=figure_book_settings,
        seeds=figure_seeds,
        caption=figure_caption,
        code=code("plot"),
    shell:
        PLOT
