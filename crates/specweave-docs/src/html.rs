//! `reports/index.html`: one self-contained page (inline CSS and SVG, no scripts or
//! external resources) with the experiments table, the plots and the criteria verdicts.

/// Escapes text for HTML element content and attribute values.
pub(crate) fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Everything the page shows.
pub(crate) struct Page<'a> {
    pub title: &'a str,
    pub headline: &'a str,
    /// Header cells then rows of cells, plain text.
    pub experiments: (Vec<String>, Vec<Vec<String>>),
    /// `(criterion, verdict)`.
    pub verdicts: Vec<(String, String)>,
    pub recommendation: &'a str,
    /// `(caption, svg document)`.
    pub plots: Vec<(String, String)>,
}

pub(crate) fn render(page: &Page<'_>) -> String {
    let mut h = String::new();
    h.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    h.push_str(&format!("<title>{}</title>\n", escape(page.title)));
    h.push_str("<style>body{font-family:sans-serif;max-width:1000px;margin:2em auto;color:#222}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}figure{margin:1em 0}svg{max-width:100%;height:auto}.verdict-pass{color:#2a7}.verdict-fail{color:#c33}</style>\n");
    h.push_str("</head>\n<body>\n");
    h.push_str(&format!("<h1>{}</h1>\n", escape(page.title)));
    h.push_str(&format!(
        "<p>Headline metric: <code>{}</code>. Recommendation: <strong>{}</strong>.</p>\n",
        escape(page.headline),
        escape(page.recommendation)
    ));
    h.push_str("<h2>Experiments</h2>\n<table>\n<tr>");
    for head in &page.experiments.0 {
        h.push_str(&format!("<th>{}</th>", escape(head)));
    }
    h.push_str("</tr>\n");
    for row in &page.experiments.1 {
        h.push_str("<tr>");
        for cell in row {
            h.push_str(&format!("<td>{}</td>", escape(cell)));
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</table>\n<h2>Success criteria</h2>\n<ul>\n");
    for (criterion, verdict) in &page.verdicts {
        let class = if verdict.starts_with("pass") {
            "verdict-pass"
        } else {
            "verdict-fail"
        };
        h.push_str(&format!(
            "<li><span class=\"{class}\">{}</span>: {}</li>\n",
            escape(verdict),
            escape(criterion)
        ));
    }
    h.push_str("</ul>\n<h2>Plots</h2>\n");
    for (caption, svg) in &page.plots {
        // plotters starts its output with the <svg> element itself, which is valid inline
        h.push_str(&format!(
            "<figure>\n{}\n<figcaption>{}</figcaption>\n</figure>\n",
            svg.trim(),
            escape(caption)
        ));
    }
    h.push_str("</body>\n</html>\n");
    h
}
