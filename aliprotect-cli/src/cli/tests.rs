use clap::CommandFactory;

use super::Cli;

#[test]
fn the_grammar_is_consistent() {
    Cli::command().debug_assert();
}

#[test]
fn every_command_has_examples_in_its_help() {
    fn walk(command: &clap::Command, path: &str, missing: &mut Vec<String>) {
        let path = format!("{path} {}", command.get_name());
        let leaf = command.get_subcommands().next().is_none();
        let examples = command
            .get_after_help()
            .is_some_and(|help| help.to_string().contains("Examples:"));
        if leaf && !examples && command.get_name() != "help" {
            missing.push(path.clone());
        }
        for sub in command.get_subcommands() {
            walk(sub, &path, missing);
        }
    }
    let mut missing = Vec::new();
    walk(&Cli::command(), "", &mut missing);
    assert!(missing.is_empty(), "no examples in --help of {missing:?}");
}
