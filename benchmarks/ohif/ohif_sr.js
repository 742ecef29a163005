// Run OHIF v3's published DICOM SR loader on SR files; print what it finds as JSON.
//
// usage: node ohif_sr.js NODE_MODULES_DIR IMAGES_DIR SR.dcm [SR.dcm ...]
//
// IMAGES_DIR holds the images the SRs reference (their planes place the
// callipers, through cornerstone's own imageToWorldCoords); "-" for none.
//
// NODE_MODULES_DIR holds the npm packages @ohif/extension-cornerstone-dicom-sr
// (the SOP class handler of OHIF/Viewers extensions/cornerstone-dicom-sr, whose
// load() parses TID 1500 into "measurements" and hands the planar ones to
// cornerstone as annotations), @cornerstonejs/adapters (the SR <-> tool
// mapping OHIF uses to decide which measurements it can "rehydrate" as tools)
// and dcmjs (which OHIF uses to read DICOM and to "naturalize" it).
//
// The extension's browser-only dependencies (React UI, OHIF services,
// cornerstone rendering) are replaced by small recording stand-ins; the SR
// parsing, the rehydration check and the hand-over of each measurement to its
// image (OHIF's own code) run unchanged.  For each file the output lists:
//   measurements: what OHIF's loader read (tracking id, graphic type, points,
//                 labels, whether it has coordinates),
//   annotations:  the callipers handed to cornerstone (drawn on the image),
//   rehydratable: whether OHIF offers to turn them into editable tools, and
//                 with which cornerstone tool each measurement maps,
//   error:        anything OHIF's code threw.
"use strict";

const path = require("path");
const fs = require("fs");
const Module = require("module");

const [, , modulesDir, imagesDir, ...files] = process.argv;
if (!modulesDir || !imagesDir || files.length === 0) {
  console.error("usage: node ohif_sr.js NODE_MODULES_DIR IMAGES_DIR|- SR.dcm [...]");
  process.exit(2);
}
const req = Module.createRequire(path.join(path.resolve(modulesDir), "x.js"));
const { pathToFileURL } = require("url");

// ES modules are loaded with import() (Node 18, Debian's, has no require(esm)).
async function importPackage(name) {
  const root = path.join(path.resolve(modulesDir), name);
  const pkg = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8"));
  const dot = (pkg.exports && pkg.exports["."]) || {};
  const entry = dot.import || dot.default || pkg.module || pkg.main;
  return import(pathToFileURL(path.join(root, entry)).href);
}

// OHIF's code logs what it skips: collected per file instead of printed.
const logged = [];
for (const level of ["log", "warn", "info", "debug"]) {
  console[level] = (...args) =>
    logged.push(args.map((a) => (typeof a === "string" ? a : "")).join(" ").trim());
}

// ---- recording stand-ins for the browser-side dependencies ----------------------
const annotations = [];
const anything = () =>
  new Proxy(function () {}, {
    get: (target, key) => {
      if (key === "__esModule") return false;
      if (key === Symbol.toPrimitive) return () => "";
      if (!(key in target)) target[key] = anything();
      return target[key];
    },
    apply: () => anything(),
    construct: () => anything(),
  });

const SOP = {
  BasicTextSR: "1.2.840.10008.5.1.4.1.1.88.11",
  EnhancedSR: "1.2.840.10008.5.1.4.1.1.88.22",
  ComprehensiveSR: "1.2.840.10008.5.1.4.1.1.88.33",
  Comprehensive3DSR: "1.2.840.10008.5.1.4.1.1.88.34",
};
let guid = 0;
const ohifCore = {
  utils: {
    guid: () => `ds-${++guid}`,
    sortStudyInstances: (x) => x,
    sortDisplaySetsCopy: (x) => [...x],
    sopClassDictionary: SOP,
    formatDate: (x) => x,
    formatTime: (x) => x,
  },
  classes: {
    MetadataProvider: {
      // OHIF's imageId -> UIDs (our stand-in imageIds are "sop:<uid>:<frame>")
      getUIDsFromImageID: (imageId) => {
        const [, sop, frame] = imageId.split(":");
        return { SOPInstanceUID: sop, frameNumber: Number(frame) };
      },
    },
    ImageSet: class {},
  },
};
const stubs = {
  "@ohif/core": ohifCore,
  "@ohif/extension-cornerstone": {
    Enums: {
      CORNERSTONE_3D_TOOLS_SOURCE_NAME: "Cornerstone3DTools",
      CORNERSTONE_3D_TOOLS_SOURCE_VERSION: "0.1",
    },
  },
  "@cornerstonejs/core": null, // the real one (geometry), imported in init()
  "@cornerstonejs/adapters": null, // the real one, imported in init()
  "@cornerstonejs/tools": {
    annotation: {
      state: { addAnnotation: (a) => annotations.push(a) },
      config: anything(),
    },
    AnnotationTool: class {},
    addTool: () => undefined,
  },
};
const realLoad = Module._load;

const dcmjs = req("dcmjs");
let extension;
let MeasurementReport;
async function init() {
  stubs["@cornerstonejs/core"] = await importPackage("@cornerstonejs/core");
  stubs["@cornerstonejs/adapters"] = await importPackage("@cornerstonejs/adapters");
  Module._load = function (request, parent, isMain) {
    if (request in stubs) return stubs[request];
    if (request.startsWith("@ohif/") || request === "react" ||
        request.startsWith("@cornerstonejs/tools")) {
      return anything();
    }
    return realLoad.call(this, request, parent, isMain);
  };
  try {
    extension = require(req.resolve("@ohif/extension-cornerstone-dicom-sr")).default;
  } finally {
    Module._load = realLoad;
  }
  ({ MeasurementReport } = stubs["@cornerstonejs/adapters"].adaptersSR.Cornerstone3D);
}

// The cornerstone tools OHIF maps SR measurements to (OHIF's
// extensions/cornerstone/src/utils/measurementServiceMappings).
const TOOL_MAPPINGS = [
  "Length", "Bidirectional", "EllipticalROI", "CircleROI", "ArrowAnnotate",
  "Angle", "CobbAngle", "RectangleROI", "PlanarFreehandROI", "SplineROI",
  "LivewireContour", "Probe", "UltrasoundDirectionalTool",
].map((annotationType) => ({ annotationType }));

// Image planes as cornerstone's DICOM image loader describes them.
const planes = new Map();
function indexImages(dir) {
  if (dir === "-") return;
  const walk = (d) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.isFile()) {
        let ds;
        try {
          ds = naturalize(p);
        } catch (e) {
          continue;
        }
        const iop = ds.ImageOrientationPatient;
        const ipp = ds.ImagePositionPatient;
        const spacing = ds.PixelSpacing;
        if (!iop || !ipp || !spacing) continue;
        planes.set(`sop:${ds.SOPInstanceUID}:1`, {
          imagePositionPatient: ipp.map(Number),
          rowCosines: iop.slice(0, 3).map(Number),
          columnCosines: iop.slice(3, 6).map(Number),
          rowPixelSpacing: Number(spacing[0]),
          columnPixelSpacing: Number(spacing[1]),
          frameOfReferenceUID: ds.FrameOfReferenceUID,
          rows: ds.Rows,
          columns: ds.Columns,
        });
      }
    }
  };
  walk(dir);
  stubs["@cornerstonejs/core"].metaData.addProvider(
    (type, imageId) => (type === "imagePlaneModule" ? planes.get(imageId) : undefined),
    10000,
  );
}

function naturalize(file) {
  const buf = fs.readFileSync(file);
  const dict = dcmjs.data.DicomMessage.readFile(
    buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength),
  );
  const ds = dcmjs.data.DicomMetaDictionary.naturalizeDataset(dict.dict);
  ds._meta = dcmjs.data.DicomMetaDictionary.namifyDataset(dict.meta);
  return ds;
}

function referencedImages(ds) {
  const out = new Set();
  for (const e of [].concat(ds.CurrentRequestedProcedureEvidenceSequence || [])) {
    for (const s of [].concat(e.ReferencedSeriesSequence || [])) {
      for (const i of [].concat(s.ReferencedSOPSequence || [])) {
        out.add(`sop:${i.ReferencedSOPInstanceUID}:1`);
      }
    }
  }
  return [...out];
}

async function run(file) {
  annotations.length = 0;
  logged.length = 0;
  const instance = naturalize(file);
  const imageIds = referencedImages(instance);
  const imageDisplaySet = { displaySetInstanceUID: "images", unsupported: false };
  const services = {
    displaySetService: {
      activeDisplaySets: [imageDisplaySet], // the images are open, as in the viewer
      subscribe: () => ({ unsubscribe() {} }),
      EVENTS: { DISPLAY_SETS_ADDED: "added" },
    },
    measurementService: { getSourceMappings: () => TOOL_MAPPINGS },
    customizationService: { getCustomization: () => undefined },
  };
  const dataSource = {
    getImageIdsForDisplaySet: () => imageIds,
    retrieve: { bulkDataURI: async () => new ArrayBuffer(0) },
  };
  const servicesManager = { services };
  const extensionManager = { getDataSources: () => [dataSource] };
  const handler = extension
    .getSopClassHandlerModule({ servicesManager, extensionManager })
    .find((h) => h.sopClassUids.includes(instance.SOPClassUID));
  const result = { file, sop_class: instance.SOPClassUID };
  if (!handler) {
    result.error = `no OHIF SR handler for SOP class ${instance.SOPClassUID}`;
    return result;
  }
  const [displaySet] = handler.getDisplaySetsFromSeries([instance]);
  try {
    await displaySet.load();
  } catch (e) {
    result.error = `${e.name}: ${e.message}`;
  }
  result.is_measurement_report = displaySet.isImagingMeasurementReport;
  result.image_library = (displaySet.referencedImages || []).length;
  result.rehydratable = displaySet.isRehydratable === true;
  result.measurements = (displaySet.measurements || []).map((m) => {
    const byId = MeasurementReport.getAdapterForTrackingIdentifier(
      m.TrackingIdentifier || "",
    );
    const byType = m.graphicType
      ? MeasurementReport.getAdaptersForTypes(m.graphicCode, m.graphicType, m.pointsLength) || []
      : [];
    return {
      tracking_identifier: m.TrackingIdentifier,
      graphic_type: m.graphicType || null,
      points: m.pointsLength || 0,
      coordinates: m.coords.length,
      labels: m.labels.map((l) => `${l.label}=${l.value}`),
      loaded: m.loaded === true,
      tools: [...new Set([byId, ...byType].filter(Boolean).map((a) => a.toolType))],
    };
  });
  result.annotations = annotations.map((a) => ({
    tracking_uid: a.annotationUID,
    graphic_type: a.metadata.graphicType,
    image: a.metadata.referencedImageId,
    points: (a.data.handles.points || []).length,
    world: (a.data.handles.points || []).map((p) => Array.from(p)),
    lines: Object.values(a.data.renderableData || {}).reduce((n, v) => n + v.length, 0),
    label: a.data.label || null,
  }));
  result.log = [...new Set(logged.filter(Boolean))];
  return result;
}

(async () => {
  await init();
  indexImages(imagesDir);
  const out = [];
  for (const f of files) out.push(await run(f));
  process.stdout.write(JSON.stringify(out, null, 1) + "\n");
})().catch((e) => {
  console.error(`harness failed: ${e.stack || e}`);
  process.exit(3);
});
