// The assist routes (models, assist settings, pre-labelling, the labelling queue) through the generated client,
// one function per call, with the server's schemas under the names the models page uses.

import { api, API, unwrap, type Job, type Schemas } from "../api/client";

// Fields with a default are optional in the generated types (they may be left out of a request); the server
// always sends them, so the answers are read with every field present.
export type ModelVersion = Omit<Schemas["ModelVersionPublic"], "data"> & { data: Required<Schemas["ModelDataPublic"]> };
export type Report = Schemas["ReportPublic"];
export type ReliabilityBin = Schemas["ReliabilityBinPublic"];
export type PerClass = Schemas["PerClassPublic"];
export type AssistSettings = Required<Schemas["AssistSettings"]>;
export type Assist = Omit<Schemas["AssistPublic"], "settings"> & { settings: AssistSettings };
export type Queue = Schemas["QueuePublic"];
export type QueueItem = Schemas["QueueItemPublic"];
export type TrainRequest = Schemas["TrainIn"];
export type Mode = NonNullable<TrainRequest["mode"]>;
export type TrainableKind = TrainRequest["kind"];
export type PruneResult = Schemas["PruneResultPublic"];
export type RegisterRequest = Schemas["ModelRegisterIn"];
export type RegisteredKind = RegisterRequest["kind"];

const DEFAULTS: AssistSettings = { lower: 0.5, upper: 0.95, retrain_every: 50, strategy: "hybrid", model_id: null, keep_versions: 5 };

function withData(m: Schemas["ModelVersionPublic"]): ModelVersion {
  return { ...m, data: { count: m.data.count ?? 0, hash: m.data.hash ?? null } };
}

function withSettings(a: Schemas["AssistPublic"]): Assist {
  return { ...a, settings: { ...DEFAULTS, ...a.settings } };
}

const project = (pid: number) => ({ params: { path: { project_id: pid } } });
const model = (pid: number, mid: number) => ({ params: { path: { project_id: pid, model_id: mid } } });

export const listModels = async (pid: number): Promise<ModelVersion[]> =>
  (await unwrap(api.GET("/api/v1/projects/{project_id}/models", project(pid)))).map(withData);

export const trainModel = (pid: number, body: TrainRequest): Promise<Job> =>
  unwrap(api.POST("/api/v1/projects/{project_id}/models/train", { ...project(pid), body }));

/** Connect a model labelhub did not train (a Label Studio ML backend, an HTTP server, an ONNX file): a ready version. */
export const registerModel = async (pid: number, body: RegisterRequest): Promise<ModelVersion> =>
  withData(await unwrap(api.POST("/api/v1/projects/{project_id}/models/register", { ...project(pid), body })));

export const activateModel = async (pid: number, mid: number): Promise<ModelVersion> =>
  withData(await unwrap(api.POST("/api/v1/projects/{project_id}/models/{model_id}/activate", model(pid, mid))));

export const deleteModel = (pid: number, mid: number): Promise<unknown> =>
  unwrap(api.DELETE("/api/v1/projects/{project_id}/models/{model_id}", model(pid, mid)));

export const pruneModels = (pid: number): Promise<PruneResult> =>
  unwrap(api.POST("/api/v1/projects/{project_id}/models/prune", project(pid)));

export const evaluateModel = (pid: number, mid: number): Promise<Job> =>
  unwrap(api.POST("/api/v1/projects/{project_id}/models/{model_id}/evaluate", model(pid, mid)));

export const fetchReport = (pid: number, mid: number): Promise<Report> =>
  unwrap(api.GET("/api/v1/projects/{project_id}/models/{model_id}/report", model(pid, mid)));

export const getAssist = async (pid: number): Promise<Assist> =>
  withSettings(await unwrap(api.GET("/api/v1/projects/{project_id}/assist", project(pid))));

export const putAssist = async (pid: number, settings: AssistSettings, version: number): Promise<Assist> =>
  withSettings(await unwrap(api.PUT("/api/v1/projects/{project_id}/assist", { ...project(pid), body: { settings, version } })));

export const prelabel = (pid: number, modelId: number | null): Promise<Job> =>
  unwrap(api.POST("/api/v1/projects/{project_id}/prelabel", { ...project(pid), body: { model_id: modelId } }));

export const fetchQueue = (pid: number, limit = 20): Promise<Queue> =>
  unwrap(api.GET("/api/v1/projects/{project_id}/queue", { params: { path: { project_id: pid }, query: { limit } } }));

export const queueNext = (pid: number, after: number | null): Promise<{ item_id: number | null }> =>
  unwrap(api.GET("/api/v1/projects/{project_id}/queue/next", { params: { path: { project_id: pid }, query: { after } } }));

/** The project's newest jobs, newest first (the models page watches its trainings with it). */
export const listJobs = (pid: number, limit: number): Promise<Job[]> =>
  unwrap(api.GET("/api/v1/jobs", { params: { query: { project_id: pid, limit } } }));

/** The URL of a version's self-contained HTML report (a same-origin link: the session cookie goes with it). */
export function reportHtmlUrl(pid: number, mid: number): string {
  return `${API}/projects/${pid}/models/${mid}/report.html`;
}
