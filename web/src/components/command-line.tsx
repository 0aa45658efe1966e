/** A shell command that wraps between words only (never after the hyphens of an option). */
export function CommandLine({ command }: { command: string }) {
  const words = command.split(' ');
  return (
    <code className="command-line">
      {words.map((word, index) => (
        <span key={index} className="nowrap">
          {word}
          {index < words.length - 1 ? ' ' : ''}
        </span>
      ))}
    </code>
  );
}
