/**
 * DNS-rebinding protection: a web page the user opens can make the browser send requests to
 * the emulator on loopback under the page's own host name (one that resolves to 127.0.0.1).
 * Only requests addressed to an IP address, `localhost` (and `*.localhost`) or a name the
 * user allowed are served; a browser's request to such an address comes from a page served
 * by that very address, not from a stranger's site.
 */
import { isIP } from "node:net";

/** The host part of a Host header: `[::1]:4599` -> `::1`, `Name:80` -> `name`. */
export function hostName(header: string): string {
  const text = header.trim().toLowerCase();
  if (text.startsWith("[")) {
    const end = text.indexOf("]");
    return end < 0 ? text : text.slice(1, end);
  }
  const colon = text.lastIndexOf(":");
  return colon < 0 ? text : text.slice(0, colon);
}

/** Whether a request addressed to `header` (its Host header) may be served. */
export function allowedHost(header: string | undefined, allowed: ReadonlySet<string>): boolean {
  // Browsers always send Host; only other clients (HTTP/1.0) may leave it out.
  if (header === undefined) return true;
  const name = hostName(header);
  const bare = name.endsWith(".") ? name.slice(0, -1) : name;
  return (
    isIP(bare) !== 0 || bare === "localhost" || bare.endsWith(".localhost") || allowed.has(bare)
  );
}

/** Whether an interface address is loopback only (127.0.0.0/8, ::1, localhost). */
export function isLoopback(host: string): boolean {
  const name = hostName(host.includes(":") && !host.startsWith("[") ? `[${host}]` : host);
  return name === "localhost" || name === "::1" || /^127\.\d+\.\d+\.\d+$/.test(name);
}
