fn main() {
    eprintln!("docksandbox CLI: not built yet (see the CLI issue)");
    std::process::exit(2);
}
