// A script's typed client of the twinmetrics API, checked by
// TestTypedClientCompiles: api.d.ts is generated from the served
// OpenAPI document by openapi-typescript, then tsc compiles this file
// against it. Every call below must type-check, and each line after an
// expect-error directive must be refused (so the types are real, not
// any).
import type { paths, components } from "./api";

type Preview = components["schemas"]["UploadPreview"];
type UploadRecord = components["schemas"]["UploadRecord"];
type Problem = components["schemas"]["Problem"];
type PreviewQuery = NonNullable<paths["/api/v1/uploads/{id}"]["get"]["parameters"]["query"]>;
type PublishForm = NonNullable<paths["/api/v1/uploads/{id}/publish"]["post"]["requestBody"]>["content"]["application/x-www-form-urlencoded"];
type Created = paths["/api/v1/uploads"]["post"]["responses"][201]["content"]["application/json"];
type Refused = paths["/api/v1/uploads"]["post"]["responses"][413]["content"]["application/json"];
type Conflict = paths["/api/v1/uploads/{id}/publish"]["post"]["responses"][409]["content"]["application/problem+json"];
type Observations = paths["/api/v1/observations"]["get"]["responses"][200]["content"]["application/json"];

export class Client {
  constructor(private base: string, private token: string) {}

  private headers(): Record<string, string> {
    return { Authorization: "Bearer " + this.token };
  }

  async upload(file: Blob, name: string): Promise<Created | Refused> {
    const form = new FormData();
    form.append("file", file, name);
    const res = await fetch(this.base + "/api/v1/uploads", { method: "POST", body: form, headers: this.headers() });
    if (res.status === 429) {
      const wait: number = Number(res.headers.get("Retry-After") ?? "60");
      throw new Error("retry in " + wait + " s");
    }
    return (await res.json()) as Created | Refused;
  }

  async preview(id: string, q: PreviewQuery): Promise<Preview> {
    const params = new URLSearchParams();
    if (q.status) params.set("status", q.status);
    if (q.page) params.set("page", String(q.page));
    const res = await fetch(this.base + "/api/v1/uploads/" + encodeURIComponent(id) + "?" + params, { headers: this.headers() });
    return (await res.json()) as Preview;
  }

  async publish(id: string, form: PublishForm): Promise<UploadRecord | Conflict> {
    const body = new URLSearchParams();
    if (form.allow_rejected) body.set("allow_rejected", form.allow_rejected);
    if (form.confirm_warnings) body.set("confirm_warnings", form.confirm_warnings);
    const res = await fetch(this.base + "/api/v1/uploads/" + encodeURIComponent(id) + "/publish", { method: "POST", body, headers: this.headers() });
    return (await res.json()) as UploadRecord | Conflict;
  }

  async discard(id: string): Promise<boolean> {
    const res = await fetch(this.base + "/api/v1/uploads/" + encodeURIComponent(id), { method: "DELETE", headers: this.headers() });
    return res.status === 204;
  }
}

export function summary(p: Preview): string {
  const rejected: number = p.counts.rejected;
  const lines: number[] = p.rows.map((r) => r.line);
  const why: string = p.file_error ? (p.file_error.message.text ?? p.file_error.message.key) + " " + (p.file_error.hint.text ?? "") : "";
  return `${p.id} ${p.state}: ${p.counts.new} new, ${p.counts.changed} changed, ${rejected} rejected (lines ${lines.join(", ")}) ${why}`;
}

export function published(r: UploadRecord | Conflict): number | string {
  return "upload_id" in r ? r.upload_id : (r as Problem).detail ?? r.title;
}

export function values(o: Observations): (number | null)[] {
  return o.data.map((x) => x.value ?? null);
}

// @ts-expect-error: the preview filter takes only the documented statuses
export const badQuery: PreviewQuery = { status: "maybe" };
// @ts-expect-error: an upload record's counts are numbers
export const badRecord: Pick<UploadRecord, "rows_new"> = { rows_new: "3" };
export function badState(p: Preview): void {
  // @ts-expect-error: "pending" is not a state the API gives
  if (p.state === "pending") return;
}
