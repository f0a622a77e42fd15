import type { Command } from "commander";
import { UsageError } from "./errors";

export const SHELLS = ["bash", "zsh", "fish"] as const;

/**
 * Completion scripts generated from the command tree itself, so a new command or flag completes
 * without anyone editing a script: each shell gets the subcommands of every command and its long
 * flags. (commander has no completion of its own; the libraries that add it — tabtab, omelette —
 * wire a runtime callback into the shell, which is more moving parts than this static table.)
 */
interface Node {
  path: string[];
  subcommands: string[];
  flags: string[];
}

function walk(command: Command, path: string[] = []): Node[] {
  const flags = [...command.options.map((option) => option.long).filter((flag): flag is string => Boolean(flag)), "--help"];
  const node: Node = { path, subcommands: command.commands.map((sub) => sub.name()), flags };
  return [node, ...command.commands.flatMap((sub) => walk(sub, [...path, sub.name()]))];
}

export function completionScript(shell: string, program: Command): string {
  const nodes = walk(program);
  const globals = program.options.map((option) => option.long!).filter(Boolean);
  const words = (node: Node) => [...node.subcommands, ...node.flags, ...(node.path.length ? globals : [])].join(" ");
  if (shell === "bash" || shell === "zsh") {
    const cases = nodes.map((node) => `    "${node.path.join(" ")}") words="${words(node)}" ;;`).join("\n");
    const script = `# signalbeam completion (${shell}): eval "$(signalbeam completion ${shell})"
_signalbeam_complete() {
  local path="" word
  for word in "\${COMP_WORDS[@]:1:COMP_CWORD-1}"; do
    case "$word" in -*) ;; *) path="\${path:+$path }$word" ;; esac
  done
  local words=""
  case "$path" in
${cases}
  esac
  COMPREPLY=( $(compgen -W "$words" -- "\${COMP_WORDS[COMP_CWORD]}") )
}
`;
    return shell === "bash"
      ? `${script}complete -F _signalbeam_complete signalbeam\n`
      : `autoload -U +X bashcompinit && bashcompinit\n${script}complete -F _signalbeam_complete signalbeam\n`;
  }
  if (shell === "fish") {
    const lines = [
      "# signalbeam completion (fish): signalbeam completion fish > ~/.config/fish/completions/signalbeam.fish",
      "complete -c signalbeam -f",
    ];
    for (const node of nodes) {
      const condition = node.path.length
        ? `__fish_seen_subcommand_from ${node.path[node.path.length - 1]}`
        : "__fish_use_subcommand";
      for (const sub of node.subcommands) lines.push(`complete -c signalbeam -n '${condition}' -a ${sub}`);
      for (const flag of node.flags) lines.push(`complete -c signalbeam -n '${condition}' -l ${flag.replace(/^--/, "")}`);
    }
    return `${lines.join("\n")}\n`;
  }
  throw new UsageError(`completion: choose one of ${SHELLS.join(", ")}, got "${shell}"`);
}
