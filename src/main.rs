//! Binary entry point for trunk.
fn main() {
    attention_lab::start();
}
