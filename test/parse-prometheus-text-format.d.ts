/** parse-prometheus-text-format ships no types: the families it returns, as the metrics test reads them. */
declare module 'parse-prometheus-text-format' {
  export default function parse(text: string): { name: string; help: string; type: string; metrics: { labels?: Record<string, string> }[] }[];
}
