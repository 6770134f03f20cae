/**
 * A loopback HTTP proxy in front of a Personalize endpoint (the emulator or any other) that
 * records every API call passing through it. The offline tests use it to count writes
 * ("a second up changes nothing"), the benchmark to count Describe calls, and `npm start` to
 * print status transitions as the providers' Describe answers reveal them. It forwards
 * requests untouched; it never answers for the service.
 */
import { createServer, IncomingHttpHeaders, request, Server } from "http";
import type { AddressInfo } from "net";

export interface ApiCall {
  /**
   * `personalize` (control plane, AWS JSON 1.1), `personalize-data` (runtime and events,
   * REST-JSON) or `s3`, from the SigV4 credential scope and the X-Amz-Target header.
   */
  service: "personalize" | "personalize-data" | "s3" | "unknown";
  /** `CreateDatasetGroup`, `DescribeCampaign`; for S3 and the data plane `PUT /bucket/key`. */
  operation: string;
  method: string;
  path: string;
  status: number;
  /** True for calls that change something: Create/Update/Delete/Start/Stop/Tag/Untag, S3 PUT/POST/DELETE. */
  write: boolean;
}

/** A resource's status as a Describe answer reported it. */
export interface StatusReport {
  /** The described resource kind, e.g. `solutionVersion`. */
  kind: string;
  arn: string;
  name?: string;
  status: string;
  failureReason?: string;
}

export interface ApiRecorder {
  /** Point clients here instead of at the target. */
  url: string;
  calls: ApiCall[];
  /** Forget the calls so far. */
  reset(): void;
  writes(): ApiCall[];
  close(): Promise<void>;
}

/** The Personalize Describe calls among `calls`, by the kind described (`DatasetGroup`, ...). */
export function describesByKind(calls: readonly ApiCall[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const { service, operation } of calls) {
    if (service !== "personalize" || !operation.startsWith("Describe")) continue;
    const kind = operation.slice("Describe".length);
    counts[kind] = (counts[kind] ?? 0) + 1;
  }
  return counts;
}

export interface ApiRecorderOptions {
  /** Called for every Describe answer that carries a resource status. */
  onStatus?: (report: StatusReport) => void;
  /** Called when the service has answered a call, before the answer is passed on. */
  onCall?: (call: ApiCall) => void;
}

const CONTROL_PLANE_WRITE = /^(Create|Update|Delete|Start|Stop|Tag|Untag)/;

function classify(headers: IncomingHttpHeaders, method: string, path: string) {
  const target = String(headers["x-amz-target"] ?? "");
  const scope = /Credential=[^/]+\/[^/]+\/[^/]+\/([^/]+)\//.exec(
    String(headers.authorization ?? ""),
  );
  const signingName = scope?.[1];
  if (target.startsWith("AmazonPersonalize.")) {
    const operation = target.slice("AmazonPersonalize.".length);
    return {
      service: "personalize" as const,
      operation,
      write: CONTROL_PLANE_WRITE.test(operation),
    };
  }
  const operation = `${method} ${path.split("?")[0]}`;
  if (signingName === "s3") {
    return { service: "s3" as const, operation, write: /^(PUT|POST|DELETE)$/.test(method) };
  }
  if (signingName === "personalize") {
    // PutEvents and friends write; GetRecommendations and GetPersonalizedRanking only read.
    return {
      service: "personalize-data" as const,
      operation,
      write:
        path.startsWith("/events") ||
        path.startsWith("/users") ||
        path.startsWith("/items") ||
        path.startsWith("/actions"),
    };
  }
  return {
    service: "unknown" as const,
    operation,
    write: /^(PUT|POST|DELETE|PATCH)$/.test(method),
  };
}

/** The `{status, ...Arn}` object inside a Describe answer, e.g. `{ campaign: {...} }`. */
function statusOf(body: unknown): StatusReport | undefined {
  if (!body || typeof body !== "object") return undefined;
  for (const [kind, value] of Object.entries(body)) {
    if (!value || typeof value !== "object") continue;
    const v = value as Record<string, unknown>;
    if (typeof v.status !== "string") continue;
    const arnKey = Object.keys(v).find(
      (k) => k.endsWith("Arn") && k.toLowerCase().startsWith(kind.toLowerCase()),
    );
    const arn = arnKey ? v[arnKey] : undefined;
    if (typeof arn !== "string") continue;
    return {
      kind,
      arn,
      status: v.status,
      ...(typeof v.name === "string"
        ? { name: v.name }
        : typeof v.jobName === "string"
          ? { name: v.jobName }
          : {}),
      ...(typeof v.failureReason === "string" ? { failureReason: v.failureReason } : {}),
    };
  }
  return undefined;
}

export async function startApiRecorder(
  target: string,
  options: ApiRecorderOptions = {},
): Promise<ApiRecorder> {
  const upstream = new URL(target);
  const calls: ApiCall[] = [];
  const server: Server = createServer((req, res) => {
    const method = req.method ?? "GET";
    const path = req.url ?? "/";
    const kind = classify(req.headers, method, path);
    const forward = request(
      {
        protocol: upstream.protocol,
        hostname: upstream.hostname,
        port: upstream.port,
        method,
        path: upstream.pathname.replace(/\/$/, "") + path,
        headers: req.headers,
      },
      (answer) => {
        const status = answer.statusCode ?? 502;
        const call = { ...kind, method, path, status };
        calls.push(call);
        options.onCall?.(call);
        res.writeHead(status, answer.headers);
        const describe = kind.service === "personalize" && kind.operation.startsWith("Describe");
        if (!describe || !options.onStatus) {
          answer.pipe(res);
          return;
        }
        const chunks: Buffer[] = [];
        answer.on("data", (c: Buffer) => {
          chunks.push(c);
          res.write(c);
        });
        answer.on("end", () => {
          res.end();
          try {
            const report = statusOf(JSON.parse(Buffer.concat(chunks).toString("utf8")));
            if (report) options.onStatus?.(report);
          } catch {
            // Not JSON (an error page): nothing to report; the client sees it as it came.
          }
        });
      },
    );
    forward.on("error", (err) => {
      calls.push({ ...kind, method, path, status: 502 });
      res.writeHead(502, { "content-type": "text/plain" });
      res.end(`api recorder: cannot reach ${target}: ${err.message}`);
    });
    req.pipe(forward);
  });
  // Providers keep connections alive; closing must not wait for them.
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    reset: () => {
      calls.length = 0;
    },
    writes: () => calls.filter((c) => c.write),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
