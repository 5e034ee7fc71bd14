//! Sets `cfg(oort_graph_examples)` when `OORT_GRAPH_EXAMPLES` names the corpus of Microsoft's
//! documented response bodies, so that without it the conformance tests are reported as
//! ignored, never as passed (a user's clone has no corpus; `.ci/run` points at it).
fn main() {
    println!("cargo::rustc-check-cfg=cfg(oort_graph_examples)");
    println!("cargo::rerun-if-env-changed=OORT_GRAPH_EXAMPLES");
    if std::env::var_os("OORT_GRAPH_EXAMPLES").is_some() {
        println!("cargo::rustc-cfg=oort_graph_examples");
    }
}
