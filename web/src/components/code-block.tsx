import { useState } from 'preact/hooks';

/** A titled block of code with a Copy button. */
export function CodeBlock({ title, code }: { title: string; code: string }) {
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(code);
      setCopied(true);
      setTimeout(() => setCopied(false), 1500);
    } catch {
      // No clipboard (an insecure origin): the text can still be selected by hand.
    }
  };
  return (
    <figure class="code">
      <figcaption>
        <span>{title}</span>
        <button type="button" class="small" onClick={copy} aria-label={`Copy the ${title} code`}>
          {copied ? 'Copied' : 'Copy'}
        </button>
      </figcaption>
      <pre tabIndex={0}>
        <code>{code}</code>
      </pre>
    </figure>
  );
}
