import type { ButtonHTMLAttributes } from 'preact';
import { useEffect, useRef } from 'preact/hooks';

/**
 * A button that takes the focus when it appears: the "Yes, delete" of a two-step confirmation
 * replaces the button that was pressed, and the keyboard's focus must not fall back to the page.
 * (The autofocus attribute only works while a page loads.)
 */
export function FocusButton(props: ButtonHTMLAttributes<HTMLButtonElement>) {
  const ref = useRef<HTMLButtonElement>(null);
  useEffect(() => ref.current?.focus(), []);
  return <button type="button" {...props} ref={ref} />;
}
