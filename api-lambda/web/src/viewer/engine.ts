// Cornerstone3D set up once for the console: the DICOM image loader reads
// WADO-RS (metadata, then frames) from /dicomweb on this origin, decoding in
// web workers with the codecs shipped under /assets (nothing from a CDN).
// Rendering is on the CPU: it needs no GPU, and gives the same pixels on
// every machine, which is what a reading room and the browser suite want.
import * as core from "@cornerstonejs/core";
import dicomImageLoader from "@cornerstonejs/dicom-image-loader";
import * as tools from "@cornerstonejs/tools";

let started: Promise<void> | null = null;

/** Where build.mjs copies the codecs' WebAssembly. */
declare const NOCTIS_WASM_BASE: string;

export const TOOL_GROUP = "noctis-viewer";

export function startEngine(): Promise<void> {
  if (!started) {
    started = (async () => {
      core.init({ rendering: { useCPURendering: true } } as never);
      dicomImageLoader.init({ maxWebWorkers: 2, wasmBasePath: NOCTIS_WASM_BASE } as never);
      tools.init();
      for (const tool of [
        tools.WindowLevelTool,
        tools.PanTool,
        tools.ZoomTool,
        tools.StackScrollTool,
        tools.LengthTool,
        tools.AngleTool,
      ]) {
        tools.addTool(tool);
      }
    })();
  }
  return started;
}

/** The tools a reader expects: left drag window/level (or the chosen
 * measurement), middle pan, right zoom, wheel scrolls the stack. */
export function toolGroup(viewportId: string, engineId: string) {
  const { Enums } = tools;
  let group = tools.ToolGroupManager.getToolGroup(TOOL_GROUP);
  if (!group) {
    group = tools.ToolGroupManager.createToolGroup(TOOL_GROUP)!;
    for (const name of [
      tools.WindowLevelTool.toolName,
      tools.PanTool.toolName,
      tools.ZoomTool.toolName,
      tools.StackScrollTool.toolName,
      tools.LengthTool.toolName,
      tools.AngleTool.toolName,
    ]) {
      group.addTool(name);
    }
    group.setToolActive(tools.WindowLevelTool.toolName, { bindings: [{ mouseButton: Enums.MouseBindings.Primary }] });
    group.setToolActive(tools.PanTool.toolName, { bindings: [{ mouseButton: Enums.MouseBindings.Auxiliary }] });
    group.setToolActive(tools.ZoomTool.toolName, { bindings: [{ mouseButton: Enums.MouseBindings.Secondary }] });
    group.setToolActive(tools.StackScrollTool.toolName, { bindings: [{ mouseButton: Enums.MouseBindings.Wheel }] });
    group.setToolPassive(tools.LengthTool.toolName);
    group.setToolPassive(tools.AngleTool.toolName);
  }
  group.addViewport(viewportId, engineId);
  return group;
}

/** Makes `tool` the left button's (window/level, length or angle). */
export function chooseLeftTool(tool: "windowLevel" | "length" | "angle") {
  const group = tools.ToolGroupManager.getToolGroup(TOOL_GROUP);
  if (!group) return;
  const names = {
    windowLevel: tools.WindowLevelTool.toolName,
    length: tools.LengthTool.toolName,
    angle: tools.AngleTool.toolName,
  };
  for (const [key, name] of Object.entries(names)) {
    if (key !== tool) group.setToolPassive(name);
  }
  group.setToolActive(names[tool], { bindings: [{ mouseButton: tools.Enums.MouseBindings.Primary }] });
}

/** The image ids of a series, registering each instance's WADO-RS metadata
 * with the loader; one id per frame, in instance (then frame) order. */
export async function seriesImageIds(base: string, study: string, series: string): Promise<string[]> {
  const url = `${base}/studies/${study}/series/${series}/metadata`;
  const response = await fetch(url, { headers: { accept: "application/dicom+json" }, credentials: "same-origin" });
  if (!response.ok) throw new Error(`the series' metadata could not be read (${response.status})`);
  const instances = (await response.json()) as Array<Record<string, { Value?: unknown[] }>>;
  const number = (instance: Record<string, { Value?: unknown[] }>, tag: string) =>
    Number(instance[tag]?.Value?.[0] ?? 0);
  instances.sort((a, b) => number(a, "00200013") - number(b, "00200013"));
  const ids: string[] = [];
  for (const instance of instances) {
    const sop = String(instance["00080018"]?.Value?.[0] ?? "");
    const frames = Math.max(1, number(instance, "00280008"));
    for (let frame = 1; frame <= frames; frame++) {
      const id = `wadors:${location.origin}${base}/studies/${study}/series/${series}/instances/${sop}/frames/${frame}`;
      dicomImageLoader.wadors.metaDataManager.add(id, instance as never);
      ids.push(id);
    }
  }
  return ids;
}

export { core, tools };
