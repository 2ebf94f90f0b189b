// Tests read JSON bodies whose shape they assert on the spot; typing each one would only repeat
// the assertion. Production code never relies on this.
declare global {
  interface Response {
    json(): Promise<any>;
  }
}
export {};
