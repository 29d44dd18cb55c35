//! Reading the arguments, with usage errors that say what was expected.
//!
//! Expressions often start with `-` (`-x^2`, `-1 > x`). The options that take an
//! expression, a fact, a variable or a point accept such a value (`allow_hyphen_values`
//! in [`crate::args`]); this module explains what still goes wrong: clap's own tip for
//! an unexpected `-1` (`use '-- -1'`) is wrong for an option's value, and an option
//! whose value is missing takes the next option (`--wrt --cse`) as its value.

use std::ffi::OsString;

use clap::builder::ValueParser;
use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{Arg, Command, CommandFactory, FromArgMatches};

use crate::args::Cli;

/// The arguments of this process, or a usage error (exit code 2) that says what was
/// expected and how to write it.
pub fn parse() -> Cli {
    parse_from(std::env::args_os()).unwrap_or_else(|e| e.exit())
}

/// The arguments `args` (the program's name first), or the usage error.
pub fn parse_from(args: impl IntoIterator<Item = OsString>) -> Result<Cli, clap::Error> {
    let raw: Vec<OsString> = args.into_iter().collect();
    // The text of each argument, to explain an error; clap reads the arguments as given.
    let args: Vec<String> = raw
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let mut cmd = Cli::command();
    cmd.build();
    if let Some(e) = swallowed(&mut cmd, &args) {
        return Err(e);
    }
    let mut matches = cmd
        .try_get_matches_from_mut(&raw)
        .map_err(|e| explain(&cmd, &args, e))?;
    Cli::from_arg_matches_mut(&mut matches).map_err(|e| e.format(&mut cmd))
}

/// An option whose value may start with `-`, given one of gauge's options instead
/// because its own value is missing (`--wrt --cse`, `--assume --format json`): clap
/// would take the option for the value, so this is told before clap reads the rest.
fn swallowed(cmd: &mut Command, args: &[String]) -> Option<clap::Error> {
    let commands: Vec<&Command> = std::iter::once(&*cmd)
        .chain(cmd.get_subcommands())
        .collect();
    let options = || commands.iter().flat_map(|c| c.get_arguments());
    let takes_hyphens = |name: &str| {
        options().any(|a| {
            a.get_long() == Some(name) && a.is_allow_hyphen_values_set() && !a.is_positional()
        })
    };
    let is_option = |t: &str| {
        t.strip_prefix("--")
            .and_then(|t| t.split('=').next())
            .is_some_and(|name| name == "help" || options().any(|a| a.get_long() == Some(name)))
    };
    // Options end at `--`.
    let end = args.iter().position(|a| a == "--").unwrap_or(args.len());
    let k = (1..end.saturating_sub(1)).find(|&k| {
        args[k]
            .strip_prefix("--")
            .is_some_and(|name| takes_hyphens(name) && is_option(&args[k + 1]))
    })?;
    let (option, value) = (&args[k], &args[k + 1]);
    let example = match option.as_str() {
        "--wrt" => "`--wrt x`, `--wrt 'z[i]'`",
        "--at" => "`--at 'x=1.5, z=[2.1, 1.8]'`, `--at @point.json`",
        "--grad" => "`--grad 'exp(x), -1/y'`",
        _ => "`--assume 'x > 0'`, `--assume=-1>x`",
    };
    let sub = args[1..k]
        .iter()
        .find(|a| commands.iter().any(|c| c.get_name() == a.as_str()))
        .cloned();
    let cmd = match sub.and_then(|s| cmd.find_subcommand_mut(s)) {
        Some(c) => c,
        None => cmd,
    };
    // A message of our own: clap prints it as it is, without the tips of its kind.
    Some(cmd.error(
        ErrorKind::InvalidValue,
        format!(
            "`{option}` expects a value, but the next argument is the option `{value}`\n\n  \
             tip: write the value right after `{option}`, quoted if it has spaces, attached \
             with `=` if it starts with `-`: {example}"
        ),
    ))
}

/// Replaces clap's tips.
fn tips(e: &mut clap::Error, tips: Vec<String>) {
    e.insert(
        ContextKind::Suggested,
        ContextValue::StyledStrs(tips.into_iter().map(Into::into).collect()),
    );
}

/// A clap error with tips that fit gauge: an unexpected argument that starts with `-`
/// is a value for an option that does not take one starting with `-` (`--order -1`), or
/// a second expression where one is expected (`gauge eval x -1`, unquoted).
fn explain(cmd: &Command, args: &[String], mut e: clap::Error) -> clap::Error {
    if e.kind() != ErrorKind::UnknownArgument {
        return e;
    }
    let Some(ContextValue::String(arg)) = e.get(ContextKind::InvalidArg).cloned() else {
        return e;
    };
    // A similar option's name is clap's best suggestion for a misspelt option.
    if arg.starts_with("--") && e.get(ContextKind::SuggestedArg).is_some() {
        return e;
    }
    let sub = args
        .iter()
        .skip(1)
        .find_map(|a| cmd.find_subcommand(a))
        .unwrap_or(cmd);
    // clap names the first flag of a cluster (`-x` of `-x.gauge`): the whole argument
    // is the first one that starts with it.
    let at = args
        .iter()
        .skip(1)
        .position(|a| a.starts_with(&arg))
        .map(|k| k + 1);
    let token = at.map_or(arg.as_str(), |k| args[k].as_str());
    let before = at.map(|k| args[k - 1].as_str());
    let option = before.and_then(|b| b.strip_prefix("--")).and_then(|name| {
        sub.get_arguments()
            .chain(cmd.get_arguments())
            .find(|a| a.get_long() == Some(name) && a.get_action().takes_values())
    });
    let mut said = Vec::new();
    if let Some(option) = option.filter(|_| token.starts_with('-')) {
        let long = option.get_long().unwrap_or_default();
        let name = value_name(option);
        // Only text and paths may start with `-`: a count or a seed may not.
        let parser = option.get_value_parser().type_id();
        let textual = [ValueParser::string(), ValueParser::path_buf()]
            .iter()
            .any(|p| p.type_id() == parser);
        said.push(if textual {
            format!(
                "`--{long}` expects a value ({name}); to give one that starts with `-`, \
                 attach it with `=`: `--{long}={token}`"
            )
        } else {
            format!("`--{long}` expects a value ({name}), which cannot start with `-`")
        });
    } else if !arg.starts_with("--") || arg == "--" {
        let expected: Vec<String> = sub.get_positionals().map(value_name).collect();
        let name = sub.get_name();
        match &expected[..] {
            [file] if file == "FILE" => said.push(format!(
                "`gauge {name}` takes one argument, FILE, besides its options; a path that \
                 starts with `-` reads `./{token}`"
            )),
            [one] => said.push(format!(
                "`gauge {name}` takes one argument, {one}, besides its options: an expression \
                 with spaces is one argument, quoted whole (`gauge {name} 'x -1'`)"
            )),
            _ => {}
        }
        if arg.starts_with('-') && arg.len() > 1 && said.iter().all(|t| !t.contains("FILE")) {
            said.push(
                "to pass a value that starts with `-` to an option, attach it with `=`: \
                 `--assume=-1>x`"
                    .to_string(),
            );
        }
    }
    if !said.is_empty() {
        tips(&mut e, said);
    }
    e
}

/// What an argument stands for, by its value name: `EXPR`, `FACT`.
fn value_name(a: &Arg) -> String {
    a.get_value_names()
        .and_then(|n| n.first())
        .map_or_else(|| a.get_id().to_string().to_uppercase(), |n| n.to_string())
}
