// The diagnostic viewer: one study's series from WADO-RS, a stack viewport
// with window/level, presets, zoom and pan, invert, length and angle in mm,
// stack scrolling by wheel, keys and cine, and the patient and study overlay.
import { useEffect, useRef, useState } from "preact/hooks";
import { Alert, Loading, dicomDate, personName } from "../components";
import { useResource, useTitle } from "../hooks";
import type { StudyDetail } from "../types";
import { chooseLeftTool, core, seriesImageIds, startEngine, toolGroup, tools } from "./engine";

const ENGINE = "noctis-engine";
const VIEWPORT = "noctis-stack";

/** Common CT presets (window center / width, Hounsfield units). */
const CT_PRESETS: Array<[string, number, number]> = [
  ["Brain", 40, 80],
  ["Lung", -600, 1500],
  ["Bone", 300, 1500],
  ["Abdomen", 40, 400],
];

interface Shown {
  index: number;
  count: number;
  center?: number;
  width?: number;
}

type Stack = InstanceType<typeof core.StackViewport>;

export default function ViewerPage(props: { id: string }) {
  const study = useResource<StudyDetail>(`/api/v1/studies/${props.id}`);
  useTitle("Viewer");
  const element = useRef<HTMLDivElement>(null);
  const viewport = useRef<Stack | null>(null);
  const [series, setSeries] = useState(0);
  const [shown, setShown] = useState<Shown>({ index: 0, count: 0 });
  const [problem, setProblem] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [tool, setTool] = useState<"windowLevel" | "length" | "angle">("windowLevel");
  const [inverted, setInverted] = useState(false);
  const [playing, setPlaying] = useState(false);
  const detail = study.data;
  const chosen = detail?.series[series];

  // The rendering engine and its one stack viewport, for the page's life.
  useEffect(() => {
    if (!element.current) return;
    let engine: InstanceType<typeof core.RenderingEngine> | null = null;
    let cancelled = false;
    const div = element.current;
    (async () => {
      await startEngine();
      if (cancelled) return;
      engine = new core.RenderingEngine(ENGINE);
      engine.enableElement({ viewportId: VIEWPORT, element: div, type: core.Enums.ViewportType.STACK });
      viewport.current = engine.getViewport(VIEWPORT) as Stack;
      toolGroup(VIEWPORT, ENGINE);
      const update = () => {
        const vp = viewport.current;
        if (!vp) return;
        const voi = vp.getProperties().voiRange;
        const width = voi ? voi.upper - voi.lower : undefined;
        setShown({
          index: vp.getCurrentImageIdIndex(),
          count: vp.getImageIds().length,
          center: voi && width !== undefined ? voi.lower + width / 2 : undefined,
          width,
        });
      };
      div.addEventListener(core.Enums.Events.STACK_NEW_IMAGE, update);
      div.addEventListener(core.Enums.Events.VOI_MODIFIED, update);
      div.addEventListener(core.Enums.Events.IMAGE_RENDERED, update);
    })().catch((e) => setProblem(`The viewer could not start: ${String(e?.message ?? e)}`));
    return () => {
      cancelled = true;
      tools.ToolGroupManager.destroyToolGroup("noctis-viewer");
      engine?.destroy();
      viewport.current = null;
    };
  }, [element.current]);

  // The chosen series' images.
  useEffect(() => {
    if (!detail || !chosen) return;
    let cancelled = false;
    setLoading(true);
    setProblem(null);
    (async () => {
      await startEngine();
      const base = `/dicomweb/facilities/${encodeURIComponent(detail.facility_id)}`;
      const ids = await seriesImageIds(base, detail.study_instance_uid, chosen.series_instance_uid);
      while (!viewport.current && !cancelled) await new Promise((r) => requestAnimationFrame(r));
      if (cancelled || !viewport.current) return;
      await viewport.current.setStack(ids, 0);
      viewport.current.render();
    })()
      .catch((e) => {
        if (!cancelled) setProblem(`This image cannot be shown: ${String(e?.message ?? e?.error ?? e)}`);
      })
      .finally(() => !cancelled && setLoading(false));
    return () => {
      cancelled = true;
    };
  }, [detail?.id, chosen?.series_instance_uid]);

  // Cine: the next image every 100 ms, round the stack.
  useEffect(() => {
    if (!playing) return;
    const timer = window.setInterval(() => {
      const vp = viewport.current;
      if (!vp) return;
      const count = vp.getImageIds().length;
      vp.setImageIdIndex((vp.getCurrentImageIdIndex() + 1) % Math.max(count, 1));
    }, 100);
    return () => window.clearInterval(timer);
  }, [playing]);

  const scroll = (delta: number) => {
    const vp = viewport.current;
    if (!vp) return;
    const count = vp.getImageIds().length;
    vp.setImageIdIndex(Math.min(Math.max(vp.getCurrentImageIdIndex() + delta, 0), count - 1));
  };
  const windowTo = (center: number, width: number) => {
    const vp = viewport.current;
    if (!vp) return;
    vp.setProperties({ voiRange: { lower: center - width / 2, upper: center + width / 2 } });
    vp.render();
  };
  const invert = () => {
    const vp = viewport.current;
    if (!vp) return;
    vp.setProperties({ invert: !inverted });
    setInverted(!inverted);
    vp.render();
  };
  const reset = () => {
    const vp = viewport.current;
    if (!vp) return;
    vp.resetProperties();
    vp.resetCamera();
    setInverted(false);
    vp.render();
  };
  const actualSize = () => {
    const vp = viewport.current;
    const image = vp?.getCornerstoneImage?.();
    if (!vp || !image) return;
    vp.resetCamera();
    // Parallel scale is half the visible height in world units (mm): show one screen pixel per image pixel.
    const canvas = vp.getCanvas();
    const spacing = image.rowPixelSpacing || 1;
    vp.setCamera({ parallelScale: (canvas.clientHeight * spacing) / 2 });
    vp.render();
  };
  const pickTool = (next: typeof tool) => {
    chooseLeftTool(next);
    setTool(next);
  };

  if (study.error) return <Alert>{study.error.message}</Alert>;
  const isCT = chosen?.modality === "CT";
  return (
    <section
      class="viewer"
      aria-labelledby="viewer-title"
      onKeyDown={(e) => {
        if (e.key === "ArrowDown" || e.key === "PageDown") scroll(1);
        else if (e.key === "ArrowUp" || e.key === "PageUp") scroll(-1);
        else return;
        e.preventDefault();
      }}
    >
      <h1 id="viewer-title" class="visually-hidden">
        Viewer
      </h1>
      <nav class="viewer-series" aria-label="Series">
        {detail ? (
          <ul>
            {detail.series.map((s, i) => (
              <li key={s.series_instance_uid}>
                <button type="button" aria-pressed={i === series} onClick={() => setSeries(i)}>
                  <SeriesThumbnail
                    base={`/dicomweb/facilities/${encodeURIComponent(detail.facility_id)}`}
                    study={detail.study_instance_uid}
                    series={s.series_instance_uid}
                  />
                  <strong>
                    {s.modality ?? "?"} {s.series_number ?? ""}
                  </strong>{" "}
                  {s.description ?? ""}
                  <span class="muted"> · {s.instance_count} images</span>
                </button>
              </li>
            ))}
          </ul>
        ) : (
          <Loading />
        )}
      </nav>
      <div class="viewer-main">
        <div class="viewer-tools" role="toolbar" aria-label="Image tools">
          <button type="button" aria-pressed={tool === "windowLevel"} onClick={() => pickTool("windowLevel")}>
            Window/level
          </button>
          <button type="button" aria-pressed={tool === "length"} onClick={() => pickTool("length")}>
            Length
          </button>
          <button type="button" aria-pressed={tool === "angle"} onClick={() => pickTool("angle")}>
            Angle
          </button>
          {isCT
            ? CT_PRESETS.map(([name, center, width]) => (
                <button type="button" key={name} onClick={() => windowTo(center, width)}>
                  {name}
                </button>
              ))
            : null}
          <button type="button" aria-pressed={inverted} onClick={invert}>
            Invert
          </button>
          <button type="button" onClick={actualSize}>
            Actual size
          </button>
          <button type="button" onClick={reset}>
            Reset
          </button>
          <button type="button" aria-pressed={playing} onClick={() => setPlaying(!playing)}>
            {playing ? "Stop cine" : "Cine"}
          </button>
        </div>
        {problem ? <Alert>{problem}</Alert> : null}
        <div class="viewer-stage">
          <div
            ref={element}
            class="viewer-viewport"
            data-testid="viewport"
            tabIndex={0}
            role="img"
            aria-label={chosen ? `Image ${shown.index + 1} of ${shown.count}` : "No image"}
            onContextMenu={(e) => e.preventDefault()}
          />
          {detail ? (
            <div class="viewer-overlay" aria-hidden="true">
              <div class="top-left">
                <div>{personName(detail.patient_name)}</div>
                <div>{detail.patient_id ?? ""}</div>
              </div>
              <div class="top-right">
                <div>{detail.description ?? ""}</div>
                <div>{dicomDate(detail.study_date)}</div>
              </div>
              <div class="bottom-left" data-testid="viewer-position">
                Im {shown.count ? shown.index + 1 : 0}/{shown.count}
                {chosen ? ` · Se ${chosen.series_number ?? ""}` : ""}
              </div>
              <div class="bottom-right" data-testid="viewer-voi">
                {shown.width !== undefined && shown.center !== undefined
                  ? `W ${Math.round(shown.width)} L ${Math.round(shown.center)}`
                  : ""}
              </div>
            </div>
          ) : null}
          {loading && !problem ? <Loading /> : null}
        </div>
      </div>
    </section>
  );
}

/** A series' middle image, drawn small from the same WADO-RS frames. */
function SeriesThumbnail(props: { base: string; study: string; series: string }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    let cancelled = false;
    (async () => {
      await startEngine();
      const ids = await seriesImageIds(props.base, props.study, props.series);
      if (cancelled || !canvas.current || ids.length === 0) return;
      await core.utilities.loadImageToCanvas({
        canvas: canvas.current,
        imageId: ids[Math.floor(ids.length / 2)],
        useCPURendering: true,
        thumbnail: true,
      });
    })().catch(() => !cancelled && setFailed(true));
    return () => {
      cancelled = true;
    };
  }, [props.series]);
  return failed ? (
    <span class="thumbnail unavailable">no preview</span>
  ) : (
    <canvas ref={canvas} class="thumbnail" width={96} height={96} data-testid="series-thumbnail" aria-hidden="true" />
  );
}
