fn main() -> std::process::ExitCode {
    renet::run(std::env::args_os())
}
