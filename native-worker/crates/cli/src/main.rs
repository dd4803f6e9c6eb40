fn main() {
    eprintln!("scopecloud-worker: no commands yet");
    std::process::exit(2);
}
