// Models compared (comparison.h): a hand-made pair of runs whose error cases are known (one
// keypoint of each error type, a background false positive, a person nobody predicted), a run
// compared with itself (no disagreement, identical rows in every table), the tables' CSV against
// the structs and their LaTeX, refusals; and cocoInputOfRun's predictionRows (run_scales.h).
#include "person_rows.h"
#include "posescope/analysis/coco_eval.h"
#include "posescope/analysis/comparison.h"
#include "posescope/analysis/pose_nms.h"
#include "posescope/analysis/run_scales.h"
#include "posescope/analysis/run_store.h"
#include "posescope/datasets/crop.h"
#include "posescope/datasets/error.h"
#include "posescope/datasets/skeleton.h"
#include "run_files.h"
#include "run_fixture.h"
#include "test_paths.h"

#include <gtest/gtest.h>
#include <torch/types.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <numeric>
#include <set>
#include <sstream>
#include <string>
#include <vector>

using namespace posescope;
using namespace posescope::analysis;
namespace fs = std::filesystem;

namespace {

// ---- Hand-made runs ---------------------------------------------------------------------------------

// A standing person around (x0, y0) (left side at +x), every keypoint labelled; area 10000.
PersonAnnotation standing(int64_t id, int64_t imageId, double x0, double y0) {
    const double xy[17][2] = {{0, 0},     {10, -10}, {-10, -10}, {20, -5},  {-20, -5},  {40, 40},
                              {-40, 40},  {50, 90},  {-50, 90},  {55, 140}, {-55, 140}, {25, 150},
                              {-25, 150}, {25, 220}, {-25, 220}, {25, 290}, {-25, 290}};
    PersonAnnotation a;
    a.id = id;
    a.imageId = imageId;
    for (const auto& p : xy)
        a.keypoints.insert(a.keypoints.end(), {x0 + p[0], y0 + p[1], 2});
    a.numKeypoints = 17;
    a.bbox = {x0 - 60, y0 - 20, 120, 320};
    a.area = 10000;
    return a;
}

PersonAnnotation unlabelled(int64_t id, int64_t imageId, double x, double y) {
    PersonAnnotation a;
    a.id = id;
    a.imageId = imageId;
    a.keypoints.assign(51, 0);
    a.bbox = {x, y, 50, 50};
    a.area = 2500;
    return a;
}

std::string cocoJson(const std::vector<PersonAnnotation>& anns) {
    std::ostringstream s;
    s.precision(17);
    s << "{\"images\": [{\"id\": 1, \"file_name\": \"1.jpg\", \"width\": 640, \"height\": 480}, "
         "{\"id\": 2, \"file_name\": \"2.jpg\", \"width\": 640, \"height\": 480}], "
         "\"categories\": [{\"id\": 1, \"name\": \"person\", \"supercategory\": \"person\", \"keypoints\": [";
    const std::vector<std::string>& names = cocoSkeleton().keypoints;
    for (size_t i = 0; i < names.size(); ++i)
        s << (i ? ", " : "") << '"' << names[i] << '"';
    s << "], \"skeleton\": [[16, 14]]}], \"annotations\": [";
    for (size_t i = 0; i < anns.size(); ++i) {
        const PersonAnnotation& a = anns[i];
        s << (i ? ", " : "") << "{\"id\": " << a.id << ", \"image_id\": " << a.imageId
          << ", \"category_id\": 1, \"keypoints\": [";
        for (size_t k = 0; k < a.keypoints.size(); ++k)
            s << (k ? ", " : "") << a.keypoints[k];
        s << "], \"num_keypoints\": " << a.numKeypoints << ", \"bbox\": [" << a.bbox.x << ", " << a.bbox.y << ", "
          << a.bbox.w << ", " << a.bbox.h << "], \"area\": " << a.area << ", \"iscrowd\": 0}";
    }
    s << "]}";
    return s.str();
}

// A row recorded from `a`'s box (the recorder's crop) with the given predicted keypoints.
RunSample row(int64_t index, const PersonAnnotation& a, const std::vector<double>& predicted, float boxScore = 1) {
    RunSample s = test::personRow(index, a, predicted, 2);
    s.boxScore = boxScore;
    s.dependency = torch::full({2, 17, 12}, 1.0f / 12);
    return s;
}

std::string writeRun(const std::string& name, const std::string& gtFile, const std::string& family,
                     const std::string& variant, const std::vector<RunSample>& rows) {
    RunHeader h = test::runHeader(gtFile);
    h.modelFamily = family;
    h.modelVariant = variant;
    const std::vector<std::string>& names = cocoSkeleton().keypoints;
    h.keypointNames.assign(names.begin(), names.end());
    h.flipPairs = cocoSkeleton().flipPairs;
    h.inputWidth = 192;
    h.inputHeight = 256;
    h.heatmapWidth = 48;
    h.heatmapHeight = 64;
    h.gridRows = 4;
    h.gridCols = 3;
    h.layers = 2;
    h.heads = 1;
    h.totalSamples = h.plannedSamples = static_cast<int64_t>(rows.size());
    const std::string path = test::outputPath(name + ".h5");
    fs::remove(path);
    RunWriter w = RunWriter::create(path, h);
    w.append(rows);
    w.finish();
    return path;
}

std::vector<double> prediction(const PersonAnnotation& a) {
    std::vector<double> k = a.keypoints;
    for (int j = 0; j < 17; ++j)
        k[static_cast<size_t>(3 * j + 2)] = 0.9;
    return k;
}

// Image 1: A (11) and B (12); image 2: C (21, no row: a false negative) and an unlabelled person U
// (22) whose row predicts a pose on nobody (a background false positive).
// Run "flawed": A's row with a jitter (left shoulder), an inversion (left elbow on its right
// elbow), a swap (left wrist on B's) and a miss (left hip 60 px down); B exact; U far away.
// Run "exact": A and B exact; U the same.
struct Scenario {
    PersonAnnotation a, b, c, u;
    std::string gtFile, flawed, exact;
};

const Scenario& scenario() {
    static const Scenario s = [] {
        Scenario r;
        r.a = standing(11, 1, 100, 100);
        r.a.keypoints[3 * 15 + 2] = 1;  // occluded left ankle
        r.b = standing(12, 1, 400, 100);
        r.c = standing(21, 2, 100, 100);
        r.u = unlabelled(22, 2, 400, 300);
        r.gtFile = test::outputPath("comparison_gt.json");
        std::ofstream(r.gtFile) << cocoJson({r.a, r.b, r.c, r.u});

        std::vector<double> p = prediction(r.a);
        const double sigma = cocoKeypointSigmas()[5];
        p[3 * 5] += std::sqrt(-std::log(0.7) * 2 * 10000 * (2 * sigma) * (2 * sigma));  // ks 0.7: jitter
        p[3 * 7] = r.a.keypoints[3 * 8];                                                // inversion
        p[3 * 9] = r.b.keypoints[3 * 9];                                                // swap
        p[3 * 9 + 1] = r.b.keypoints[3 * 9 + 1];
        p[3 * 11 + 1] += 60;  // miss
        std::vector<double> away(51);
        for (int j = 0; j < 17; ++j) {
            away[static_cast<size_t>(3 * j)] = 560 + j;
            away[static_cast<size_t>(3 * j + 1)] = 450;
            away[static_cast<size_t>(3 * j + 2)] = 0.9;
        }
        r.flawed = writeRun("comparison_flawed", r.gtFile, "TransPose-R", "A4",
                            {row(0, r.a, p), row(1, r.b, prediction(r.b)), row(2, r.u, away)});
        r.exact = writeRun("comparison_exact", r.gtFile, "TokenPose", "S-v1",
                           {row(0, r.a, prediction(r.a)), row(1, r.b, prediction(r.b)), row(2, r.u, away)});
        return r;
    }();
    return s;
}

// ---- Reading tables back ------------------------------------------------------------------------------

std::string readFile(const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

std::vector<std::string> splitCsvLine(const std::string& line) {
    std::vector<std::string> fields(1);
    bool quoted = false;
    for (size_t i = 0; i < line.size(); ++i) {
        const char c = line[i];
        if (quoted) {
            if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
                fields.back() += '"';
                ++i;
            } else if (c == '"') {
                quoted = false;
            } else {
                fields.back() += c;
            }
        } else if (c == '"') {
            quoted = true;
        } else if (c == ',') {
            fields.emplace_back();
        } else {
            fields.back() += c;
        }
    }
    return fields;
}

// A CSV file as rows of fields keyed by its header.
struct CsvTable {
    std::vector<std::string> header;
    std::vector<std::map<std::string, std::string>> rows;
};

CsvTable readCsv(const std::string& path) {
    std::istringstream in(readFile(path));
    CsvTable t;
    std::string line;
    std::getline(in, line);
    t.header = splitCsvLine(line);
    while (std::getline(in, line)) {
        const std::vector<std::string> f = splitCsvLine(line);
        EXPECT_EQ(f.size(), t.header.size()) << path << ": " << line;
        std::map<std::string, std::string> r;
        for (size_t i = 0; i < f.size() && i < t.header.size(); ++i)
            r[t.header[i]] = f[i];
        t.rows.push_back(std::move(r));
    }
    return t;
}

// The value of the one row matching every key; "<missing>" / "<ambiguous>" otherwise.
std::string lookup(const CsvTable& t, const std::map<std::string, std::string>& keys, const std::string& column) {
    std::string found = "<missing>";
    int n = 0;
    for (const auto& r : t.rows) {
        bool all = true;
        for (const auto& [k, v] : keys)
            all = all && r.count(k) && r.at(k) == v;
        if (all) {
            found = r.at(column);
            ++n;
        }
    }
    return n > 1 ? "<ambiguous>" : found;
}

// A CSV number back as a double: exact (the shortest round-trip text); "" → NaN.
double number(const std::string& field) {
    if (field.empty()) return std::nan("");
    char* end = nullptr;
    const double v = std::strtod(field.c_str(), &end);
    EXPECT_EQ(*end, '\0') << field;
    return v;
}

void expectSame(double csv, double want, const std::string& what) {
    if (std::isnan(want) || want < 0)  // NaN, and pycocotools' −1, are written as empty fields
        EXPECT_TRUE(std::isnan(csv)) << what;
    else
        EXPECT_EQ(csv, want) << what;
}

// The data rows of a LaTeX table (the lines ending in "\\" after the column headings' \midrule),
// split into cells.
std::vector<std::vector<std::string>> texRows(const std::string& tex) {
    std::vector<std::vector<std::string>> rows;
    std::istringstream in(tex);
    std::string line;
    bool body = false;
    while (std::getline(in, line)) {
        if (line == "\\midrule") body = true;
        if (!body || line.size() < 3 || line.compare(line.size() - 3, 3, " \\\\") != 0) continue;
        std::vector<std::string> cells;
        std::string rest = line.substr(0, line.size() - 3);
        size_t at = 0;
        while (true) {
            const size_t next = rest.find(" & ", at);
            cells.push_back(rest.substr(at, next == std::string::npos ? std::string::npos : next - at));
            if (next == std::string::npos) break;
            at = next + 3;
        }
        rows.push_back(cells);
    }
    return rows;
}

std::string tableDir(const std::string& name) {
    const std::string dir = test::outputPath(name);
    fs::remove_all(dir);
    return dir;
}

}  // namespace

// ---- cocoInputOfRun's predictionRows -----------------------------------------------------------------

TEST(RunScales, PredictionRowsTraceEveryPredictionToItsRow) {
    const Scenario& s = scenario();
    const RunCocoInput in = cocoInputOfRun(RunReader::open(s.flawed));
    // Image 1's two rows tie on the person score: NumPy's reversed argsort takes the later one first.
    ASSERT_EQ(in.predictions.size(), 3u);
    EXPECT_EQ(in.predictionRows, (std::vector<int64_t>{1, 0, 2}));

    // Rows of one image with identical keypoints: NMS keeps the higher person score, and of equal
    // scores the row it considers first (the later one); the others are suppressed.
    const PersonAnnotation& a = s.a;
    const std::vector<double> p = prediction(a);
    const std::string dup = writeRun("comparison_duplicates", s.gtFile, "TransPose-R", "",
                                     {row(0, a, p, 0.5f), row(1, a, p, 0.8f), row(2, s.b, prediction(s.b)),
                                      row(3, s.b, prediction(s.b)), row(4, s.u, prediction(s.c))});
    const RunCocoInput d = cocoInputOfRun(RunReader::open(dup));
    ASSERT_EQ(d.predictions.size(), d.predictionRows.size());
    std::set<int64_t> rows(d.predictionRows.begin(), d.predictionRows.end());
    EXPECT_EQ(rows, (std::set<int64_t>{1, 3, 4}));
    for (size_t i = 0; i < d.predictions.size(); ++i) {
        const int64_t r = d.predictionRows[i];
        ASSERT_GE(r, 0);
        EXPECT_EQ(d.predictions[i].keypoints, d.rowKeypoints[static_cast<size_t>(r)]) << i;
    }

    // A recorded run: every prediction traced to a distinct row of its image with its keypoints
    // and its person score.
    const RunReader run = RunReader::open(test::sharedRun());
    const RunCocoInput shared = cocoInputOfRun(run);
    ASSERT_EQ(shared.predictionRows.size(), shared.predictions.size());
    std::set<int64_t> seen;
    for (size_t i = 0; i < shared.predictions.size(); ++i) {
        const int64_t r = shared.predictionRows[i];
        ASSERT_GE(r, 0) << i;
        EXPECT_TRUE(seen.insert(r).second) << "row " << r << " twice";
        const RunSample sample = run.sample(r);
        EXPECT_EQ(shared.predictions[i].imageId, sample.imageId);
        EXPECT_EQ(shared.predictions[i].keypoints, shared.rowKeypoints[static_cast<size_t>(r)]);
        EXPECT_EQ(shared.predictions[i].score,
                  personScore(sample.boxScore, shared.rowKeypoints[static_cast<size_t>(r)]));
    }
}

// ---- compareRuns -------------------------------------------------------------------------------------

TEST(Comparison, ErrorCasesAreTheTaxonomysErrorsWithTheirRows) {
    const Scenario& s = scenario();
    const ComparisonReport r = compareRuns({s.flawed, s.exact});
    ASSERT_FALSE(r.cancelled);
    ASSERT_EQ(r.models.size(), 2u);
    const ModelComparison& flawed = r.models[0];
    EXPECT_EQ(flawed.run, s.flawed);
    EXPECT_EQ(flawed.name, "TransPose-R A4");
    EXPECT_EQ(r.models[1].name, "TokenPose S-v1");
    EXPECT_EQ(flawed.layers, 2);
    EXPECT_EQ(flawed.firstModelLayer, (std::vector<int>{0, 1}));
    EXPECT_EQ(flawed.predictions, 3);

    // One case per error type, on A's row, in keypoint order.
    ASSERT_EQ(flawed.errorCases.size(), 4u);
    const std::vector<std::pair<int, PoseErrorType>> want = {
        {5, PoseErrorType::Jitter}, {7, PoseErrorType::Inversion}, {9, PoseErrorType::Swap}, {11, PoseErrorType::Miss}};
    for (size_t i = 0; i < want.size(); ++i) {
        const KeypointErrorCase& c = flawed.errorCases[i];
        SCOPED_TRACE(i);
        EXPECT_EQ(c.row, 0);
        EXPECT_EQ(c.imageId, 1);
        EXPECT_EQ(c.annotationId, 11);
        EXPECT_EQ(c.keypoint, want[i].first);
        EXPECT_EQ(c.type, want[i].second);
        EXPECT_EQ(c.swappedWith, c.type == PoseErrorType::Swap ? 12 : 0);
    }
    // Their number is the taxonomy's non-good keypoints, and each case's row was recorded from the
    // person it matched.
    const RunReader reader = RunReader::open(s.flawed);
    for (const ModelComparison& m : r.models) {
        const auto& t = m.taxonomy.totals;
        EXPECT_EQ(static_cast<int64_t>(m.errorCases.size()), t[1] + t[2] + t[3] + t[4]) << m.name;
        for (const KeypointErrorCase& c : m.errorCases)
            EXPECT_EQ(reader.sample(c.row).annotationId, c.annotationId);
    }
    EXPECT_TRUE(r.models[1].errorCases.empty());
    // At OKS 0.5: U's row is a background false positive, C (no row) a false negative.
    for (const ModelComparison& m : r.models) {
        SCOPED_TRACE(m.name);
        EXPECT_EQ(m.backgroundOks, 0.5);
        ASSERT_EQ(m.backgroundFalsePositives.size(), 1u);
        EXPECT_EQ(m.backgroundFalsePositives[0].row, 2);
        EXPECT_EQ(m.backgroundFalsePositives[0].imageId, 2);
        ASSERT_EQ(m.falseNegatives.size(), 1u);
        EXPECT_EQ(m.falseNegatives[0].annotationId, 21);
        EXPECT_EQ(m.falseNegatives[0].imageId, 2);
        EXPECT_EQ(m.falseNegatives[0].row, -1);
    }
    // The taxonomy's baseline is the breakdown's AP (the same input); the exact model is better.
    EXPECT_EQ(flawed.taxonomy.ap.baseline, flawed.breakdown.overall.ap);
    EXPECT_LT(flawed.breakdown.overall.ap, r.models[1].breakdown.overall.ap);
    // A's sample disagrees most; B's not at all; U's (no labelled GT) is not listed.
    ASSERT_EQ(r.disagreements.size(), 2u);
    EXPECT_EQ(r.disagreements[0].annotationId, 11);
    EXPECT_GT(r.disagreements[0].disagreement, 0);
    EXPECT_EQ(r.disagreements[0].rows, (std::vector<int64_t>{0, 0}));
    EXPECT_EQ(r.disagreements[1].annotationId, 12);
    EXPECT_EQ(r.disagreements[1].disagreement, 0);
    ComparisonOptions one;
    one.topDisagreements = 1;
    EXPECT_EQ(compareRuns({s.flawed, s.exact}, one).disagreements.size(), 1u);

    // error_cases.csv lists them all, with the keypoint's name.
    const std::string dir = tableDir("comparison_cases");
    writeComparisonTables(r, dir);
    const CsvTable cases = readCsv(dir + "/error_cases.csv");
    EXPECT_EQ(cases.header, (std::vector<std::string>{"model", "row", "image_id", "annotation_id", "keypoint", "type",
                                                      "swapped_with"}));
    ASSERT_EQ(cases.rows.size(), 4u + 2 + 2);
    EXPECT_EQ(lookup(cases, {{"model", "TransPose-R A4"}, {"type", "swap"}}, "keypoint"), "left_wrist");
    EXPECT_EQ(lookup(cases, {{"model", "TransPose-R A4"}, {"type", "swap"}}, "swapped_with"), "12");
    EXPECT_EQ(lookup(cases, {{"model", "TransPose-R A4"}, {"type", "miss"}}, "row"), "0");
    EXPECT_EQ(lookup(cases, {{"model", "TokenPose S-v1"}, {"type", "background_fp"}}, "row"), "2");
    EXPECT_EQ(lookup(cases, {{"model", "TokenPose S-v1"}, {"type", "false_negative"}}, "annotation_id"), "21");
    EXPECT_EQ(lookup(cases, {{"model", "TokenPose S-v1"}, {"type", "false_negative"}}, "row"), "");
}

TEST(Comparison, ARunWithItselfDisagreesNowhereAndEveryTableHasIdenticalModelRows) {
    const std::string run = test::sharedRun();
    std::vector<std::string> stages;
    ComparisonOptions o;
    o.progress = [&](const std::string& stage, int64_t done, int64_t total) {
        if (done == total) stages.push_back(stage);
    };
    const ComparisonReport r = compareRuns({run, run}, o);
    ASSERT_EQ(r.models.size(), 2u);
    const std::string file = fs::path(run).filename().string();
    EXPECT_EQ(r.models[0].name, "TransPose-R · " + file + " (1)");
    EXPECT_EQ(r.models[1].name, "TransPose-R · " + file + " (2)");
    EXPECT_EQ(stages.front(), "pairing");
    EXPECT_NE(std::find(stages.begin(), stages.end(), "attention " + r.models[1].name), stages.end());

    ASSERT_FALSE(r.pairing.samples.empty());
    for (const PairedSample& s : r.pairing.samples)
        if (!std::isnan(s.disagreement)) {
            EXPECT_EQ(s.disagreement, 0);
        }
    ASSERT_FALSE(r.disagreements.empty());
    for (const PairedSample& s : r.disagreements)
        EXPECT_EQ(s.disagreement, 0);
    const ModelComparison &a = r.models[0], &b = r.models[1];
    EXPECT_EQ(a.breakdown.overall.ap, b.breakdown.overall.ap);
    EXPECT_EQ(a.taxonomy.totals, b.taxonomy.totals);
    EXPECT_EQ(a.errorCases.size(), b.errorCases.size());
    // Each case's row is a row of the image of the person it matched.
    const RunReader reader = RunReader::open(run);
    for (const KeypointErrorCase& c : a.errorCases)
        EXPECT_EQ(reader.sample(c.row).imageId, c.imageId);
    const auto& t = a.taxonomy.totals;
    EXPECT_EQ(static_cast<int64_t>(a.errorCases.size()), t[1] + t[2] + t[3] + t[4]);

    const std::string dir = tableDir("comparison_self");
    const std::vector<std::string> written = writeComparisonTables(r, dir);
    const std::vector<std::string> names = {"accuracy.csv",        "accuracy.tex",       "keypoint_errors.csv",
                                            "keypoint_errors.tex", "error_taxonomy.csv", "error_taxonomy.tex",
                                            "attention.csv",       "attention.tex",      "disagreement.csv",
                                            "disagreement.tex",    "error_cases.csv",    "models.csv"};
    ASSERT_EQ(written.size(), names.size());
    for (size_t i = 0; i < names.size(); ++i) {
        EXPECT_EQ(written[i], (fs::path(dir) / names[i]).string());
        EXPECT_TRUE(fs::is_regular_file(written[i])) << written[i];
    }
    EXPECT_FALSE(fs::exists(dir + "/pruning.csv"));  // no model prunes

    // CSV: the lines of one model are those of the other.
    for (const std::string name : {"accuracy", "keypoint_errors", "error_taxonomy", "attention", "error_cases"}) {
        SCOPED_TRACE(name);
        const CsvTable csv = readCsv(dir + "/" + name + ".csv");
        std::vector<std::vector<std::string>> rows[2];
        for (const auto& row : csv.rows) {
            std::vector<std::string> rest;
            for (const std::string& h : csv.header)
                if (h != "model") rest.push_back(row.at(h));
            rows[row.at("model") == a.name ? 0 : 1].push_back(rest);
        }
        EXPECT_FALSE(rows[0].empty() && name != "error_cases");
        EXPECT_EQ(rows[0], rows[1]);
    }
    const CsvTable dis = readCsv(dir + "/disagreement.csv");
    for (const auto& row : dis.rows)
        EXPECT_EQ(row.at("disagreement"), "0");
    // LaTeX: model rows (accuracy, taxonomy), model column groups (keypoint errors) and model
    // blocks (attention) are identical but for the name.
    for (const std::string name : {"accuracy", "error_taxonomy"}) {
        SCOPED_TRACE(name);
        const auto rows = texRows(readFile(dir + "/" + name + ".tex"));
        const size_t nameColumn = name == "accuracy" ? 1 : 0;
        ASSERT_FALSE(rows.empty());
        ASSERT_EQ(rows.size() % 2, 0u);
        for (size_t i = 0; i < rows.size(); i += 2) {
            auto x = rows[i], y = rows[i + 1];
            EXPECT_NE(x[nameColumn], y[nameColumn]);
            x.erase(x.begin(), x.begin() + static_cast<std::ptrdiff_t>(nameColumn) + 1);
            y.erase(y.begin(), y.begin() + static_cast<std::ptrdiff_t>(nameColumn) + 1);
            EXPECT_EQ(x, y) << i;
        }
    }
    for (const auto& row : texRows(readFile(dir + "/keypoint_errors.tex"))) {
        ASSERT_EQ(row.size(), 7u);
        EXPECT_EQ(std::vector<std::string>(row.begin() + 1, row.begin() + 4),
                  std::vector<std::string>(row.begin() + 4, row.end()));
    }
    const auto attention = texRows(readFile(dir + "/attention.tex"));
    ASSERT_EQ(attention.size(), 4u);  // 2 layers per model
    for (size_t l = 0; l < 2; ++l)
        EXPECT_EQ(std::vector<std::string>(attention[l].begin() + 1, attention[l].end()),
                  std::vector<std::string>(attention[l + 2].begin() + 1, attention[l + 2].end()));
    for (const auto& row : texRows(readFile(dir + "/disagreement.tex"))) {
        ASSERT_EQ(row.size(), 8u);
        EXPECT_EQ(row[4], row[6]);  // the same OKS
        EXPECT_EQ(row[7], "0.000");
    }
}

TEST(Comparison, CsvValuesAreTheStructs) {
    const std::string transpose = test::sharedRun(), ppt = test::sharedPptRun();
    const ComparisonReport r = compareRuns({transpose, ppt});
    ASSERT_EQ(r.models.size(), 2u);
    EXPECT_TRUE(r.models[1].breakdown.pruning);
    EXPECT_EQ(r.models[1].firstModelLayer.size(), static_cast<size_t>(r.models[1].layers));
    EXPECT_EQ(r.models[1].firstModelLayer.back(), 1);  // the PPT's last layer is at the TransPose's last
    const std::string dir = tableDir("comparison_values");
    const std::vector<std::string> written = writeComparisonTables(r, dir);
    EXPECT_NE(std::find(written.begin(), written.end(), (fs::path(dir) / "pruning.tex").string()), written.end());

    const CsvTable accuracy = readCsv(dir + "/accuracy.csv");
    const CsvTable errors = readCsv(dir + "/keypoint_errors.csv");
    const CsvTable taxonomy = readCsv(dir + "/error_taxonomy.csv");
    const CsvTable attention = readCsv(dir + "/attention.csv");
    const CsvTable pruning = readCsv(dir + "/pruning.csv");
    const CsvTable cases = readCsv(dir + "/error_cases.csv");
    const CsvTable models = readCsv(dir + "/models.csv");
    for (const ModelComparison& m : r.models) {
        SCOPED_TRACE(m.name);
        const RunBreakdown& b = m.breakdown;
        const auto acc = [&](const std::string& breakdown, const AccuracyBin& bin) {
            const std::map<std::string, std::string> key = {
                {"model", m.name}, {"breakdown", breakdown}, {"bin", bin.label}};
            auto at = [&](const char* statistic) {
                auto k = key;
                k["statistic"] = statistic;
                return number(lookup(accuracy, k, "value"));
            };
            expectSame(at("ap"), bin.ap, breakdown + " " + bin.label + " ap");
            expectSame(at("ap50"), bin.ap50, "ap50");
            expectSame(at("ap75"), bin.ap75, "ap75");
            expectSame(at("ar"), bin.ar, "ar");
            EXPECT_EQ(at("persons"), static_cast<double>(bin.persons));
        };
        acc("all", b.overall);
        for (const AccuracyBin& bin : b.bySize)
            acc("size", bin);
        for (const AccuracyBin& bin : b.byCrowding)
            acc("people_in_crop", bin);

        const KeypointErrorBreakdown& e = b.errors;
        for (int k = 0; k < e.keypoints; ++k) {
            const std::string name = b.keypointNames[static_cast<size_t>(k)];
            auto at = [&](const std::string& breakdown, const std::string& bin, const char* statistic) {
                return number(lookup(errors,
                                     {{"model", m.name},
                                      {"keypoint", name},
                                      {"breakdown", breakdown},
                                      {"bin", bin},
                                      {"statistic", statistic}},
                                     "value"));
            };
            expectSame(at("all", "all", "mean"), e.perKeypoint[static_cast<size_t>(k)].mean(), name);
            EXPECT_EQ(at("all", "all", "count"), static_cast<double>(e.perKeypoint[static_cast<size_t>(k)].count));
            expectSame(at("visibility", "visible", "mean"), e.byVisibility.at(0, k).mean(), name + " visible");
            expectSame(at("visibility", "occluded", "mean"), e.byVisibility.at(1, k).mean(), name + " occluded");
            EXPECT_EQ(at("visibility", "occluded", "count"), static_cast<double>(e.byVisibility.at(1, k).count));
            expectSame(at("people_in_crop", e.byCrowding.labels[0], "mean"), e.byCrowding.at(0, k).mean(), name);

            const auto& counts = m.taxonomy.counts[static_cast<size_t>(k)];
            for (size_t type = 0; type < counts.size(); ++type)
                EXPECT_EQ(number(lookup(taxonomy,
                                        {{"model", m.name},
                                         {"keypoint", name},
                                         {"statistic", "count_" + poseErrorName(static_cast<PoseErrorType>(type))}},
                                        "value")),
                          static_cast<double>(counts[type]));
        }
        expectSame(
            number(lookup(errors, {{"model", m.name}, {"keypoint", "all"}, {"breakdown", "all"}, {"statistic", "mean"}},
                          "value")),
            e.overall.mean(), "all");
        const TaxonomyAp& ap = m.taxonomy.ap;
        const std::vector<std::pair<std::string, double>> steps = {
            {"ap_baseline", ap.baseline},
            {"ap_without_miss", ap.withoutMiss},
            {"ap_without_swap", ap.withoutSwap},
            {"ap_without_inversion", ap.withoutInversion},
            {"ap_without_jitter", ap.withoutJitter},
            {"ap_without_background_fp", ap.withoutBackgroundFp},
            {"ap_without_false_negatives", ap.withoutFalseNegatives}};
        for (const auto& [statistic, value] : steps)
            expectSame(
                number(lookup(taxonomy, {{"model", m.name}, {"keypoint", ""}, {"statistic", statistic}}, "value")),
                value, statistic);
        const int64_t total = std::accumulate(m.taxonomy.totals.begin(), m.taxonomy.totals.end(), int64_t{0});
        expectSame(
            number(lookup(taxonomy, {{"model", m.name}, {"keypoint", "all"}, {"statistic", "share_good"}}, "value")),
            static_cast<double>(m.taxonomy.totals[0]) / static_cast<double>(total), "share_good");
        EXPECT_EQ(number(lookup(taxonomy, {{"model", m.name}, {"statistic", "false_negatives"}}, "value")),
                  static_cast<double>(m.falseNegatives.size()));

        for (int l = 0; l < m.attention.layers; ++l) {
            const AttentionMeasures& avg = m.attention.layer[static_cast<size_t>(l)];
            auto at = [&](const std::string& head, const char* statistic) {
                return number(lookup(
                    attention,
                    {{"model", m.name}, {"layer", std::to_string(l + 1)}, {"head", head}, {"statistic", statistic}},
                    "value"));
            };
            expectSame(at("", "normalised_entropy"), avg.normalisedEntropy, "entropy");
            expectSame(at("", "relative_distance"), avg.relativeDistance, "distance");
            expectSame(at("", "box_share"), avg.boxShare, "box");
            expectSame(at("", "other_share"), avg.otherShare, "others");
            EXPECT_EQ(at("", "count"), static_cast<double>(avg.count));
            const int last = m.attention.heads - 1;
            expectSame(at(std::to_string(last + 1), "entropy"),
                       m.attention.head[static_cast<size_t>(l)][static_cast<size_t>(last)].entropy, "head entropy");
            EXPECT_EQ(
                lookup(attention,
                       {{"model", m.name}, {"layer", std::to_string(l + 1)}, {"head", ""}, {"statistic", "count"}},
                       "first_model_layer"),
                std::to_string(m.firstModelLayer[static_cast<size_t>(l)] + 1));
        }

        if (b.pruning) {
            const ErrorBins& p = e.byPruning;
            for (size_t bin = 0; bin < p.labels.size(); ++bin) {
                expectSame(number(lookup(
                               pruning,
                               {{"model", m.name}, {"keypoint", "all"}, {"bin", p.labels[bin]}, {"statistic", "mean"}},
                               "value")),
                           p.overall[bin].mean(), p.labels[bin]);
                EXPECT_EQ(number(lookup(
                              pruning,
                              {{"model", m.name}, {"keypoint", "all"}, {"bin", p.labels[bin]}, {"statistic", "count"}},
                              "value")),
                          static_cast<double>(p.overall[bin].count));
            }
        } else {
            for (const auto& row : pruning.rows)
                EXPECT_NE(row.at("model"), m.name);
        }

        size_t lines = 0;
        for (const auto& row : cases.rows)
            lines += row.at("model") == m.name ? 1 : 0;
        EXPECT_EQ(lines, m.errorCases.size() + m.backgroundFalsePositives.size() + m.falseNegatives.size());
        EXPECT_EQ(lookup(models, {{"model", m.name}}, "run"), m.run);
        EXPECT_EQ(lookup(models, {{"model", m.name}}, "layers"), std::to_string(m.layers));
    }

    const CsvTable dis = readCsv(dir + "/disagreement.csv");
    ASSERT_EQ(dis.rows.size(), 2 * r.disagreements.size());
    for (size_t i = 0; i < r.disagreements.size(); ++i) {
        const PairedSample& s = r.disagreements[i];
        for (size_t m = 0; m < 2; ++m) {
            const std::map<std::string, std::string> key = {{"rank", std::to_string(i + 1)},
                                                            {"model", r.models[m].name}};
            EXPECT_EQ(lookup(dis, key, "row"), std::to_string(s.rows[m]));
            EXPECT_EQ(number(lookup(dis, key, "oks")), s.oks[m]);
            EXPECT_EQ(number(lookup(dis, key, "disagreement")), s.disagreement);
            EXPECT_EQ(lookup(dis, key, "image_id"), std::to_string(s.imageId));
        }
        if (i > 0) {
            EXPECT_GE(r.disagreements[i - 1].disagreement, s.disagreement);
        }
    }
}

TEST(Comparison, LatexEscapesUnderscoresAndBoldsTheBest) {
    EXPECT_EQ(latexEscape("left_wrist"), "left\\_wrist");
    EXPECT_EQ(latexEscape("a & b % c $ # {x} ~ ^ \\"),
              "a \\& b \\% c \\$ \\# \\{x\\} \\textasciitilde{} \\textasciicircum{} \\textbackslash{}");
    EXPECT_EQ(latexEscape("TransPose-R · run.h5"), "TransPose-R $\\cdot$ run.h5");

    const Scenario& s = scenario();
    const ComparisonReport r = compareRuns({s.flawed, s.exact});
    const std::string dir = tableDir("comparison_latex");
    writeComparisonTables(r, dir);
    const std::string errors = readFile(dir + "/keypoint_errors.tex");
    EXPECT_NE(errors.find("\\begin{tabular}"), std::string::npos);
    EXPECT_NE(errors.find("\\toprule"), std::string::npos);
    EXPECT_NE(errors.find("\\bottomrule\n\\end{tabular}\n"), std::string::npos);
    EXPECT_NE(errors.find("\nleft\\_wrist & "), std::string::npos) << errors;
    EXPECT_EQ(errors.find("left_wrist"), std::string::npos);
    // The left hip: the exact model's 0.000 is bold, the flawed one's (60 px / 100 + 0) / 2 = 0.300
    // (A's and B's) not; the nose ties at 0.000: both bold.
    for (const auto& row : texRows(errors)) {
        if (row[0] == "left\\_hip") {
            EXPECT_EQ(row[1], "0.300");
            EXPECT_EQ(row[4], "\\textbf{0.000}");
        }
        if (row[0] == "nose") {
            EXPECT_EQ(row[1], "\\textbf{0.000}");
            EXPECT_EQ(row[4], "\\textbf{0.000}");
        }
        if (row[0] == "left\\_ankle") {
            EXPECT_EQ(row[3], "\\textbf{0.000}");  // occluded, v = 1
        }
        if (row[0] == "right\\_ankle") {
            EXPECT_EQ(row[3], "--");  // none occluded
        }
    }
    // Accuracy: the exact model's AP is bold in the row of all persons, the flawed one's not.
    const auto accuracy = texRows(readFile(dir + "/accuracy.tex"));
    ASSERT_GE(accuracy.size(), 2u);
    EXPECT_EQ(accuracy[0][0], "all");
    EXPECT_EQ(accuracy[0][1], "TransPose-R A4");
    EXPECT_EQ(accuracy[0][3].find("\\textbf"), std::string::npos) << accuracy[0][3];
    EXPECT_EQ(accuracy[1][3].rfind("\\textbf{", 0), 0u) << accuracy[1][3];
    char ap[16];
    std::snprintf(ap, sizeof ap, "%.1f", 100 * r.models[1].breakdown.overall.ap);
    EXPECT_EQ(accuracy[1][3], std::string("\\textbf{") + ap + "}");
    // Error types: the flawed model has 1 miss among the 34 labelled keypoints of A and B (2.9 %), the
    // exact one none (bold).
    const auto taxonomy = texRows(readFile(dir + "/error_taxonomy.tex"));
    ASSERT_EQ(taxonomy.size(), 2u);
    EXPECT_EQ(taxonomy[0][5], "2.9");
    EXPECT_EQ(taxonomy[1][5], "\\textbf{0.0}");
    EXPECT_EQ(taxonomy[1][1], "\\textbf{100.0}");  // good
    // A model alone: nothing to compare, nothing bold.
    const ComparisonReport alone = compareRuns({s.flawed});
    const std::string dirAlone = tableDir("comparison_latex_alone");
    writeComparisonTables(alone, dirAlone);
    EXPECT_EQ(readFile(dirAlone + "/accuracy.tex").find("\\textbf"), std::string::npos);
}

TEST(Comparison, ModelNamesAreTheFamilyAndVariantToldApartByTheirFiles) {
    RunHeader tp = test::runHeader(), ppt = test::runHeader(), none = test::runHeader();
    tp.modelVariant = "A4";
    ppt.modelFamily = "PPT";
    ppt.modelVariant = "S";
    none.modelFamily = "";
    EXPECT_EQ(modelDisplayNames({"a/tp.h5", "b/ppt.h5"}, {tp, ppt}),
              (std::vector<std::string>{"TransPose-R A4", "PPT S"}));
    EXPECT_EQ(modelDisplayNames({"a/tp.h5", "b/tp2.h5", "c/ppt.h5"}, {tp, tp, ppt}),
              (std::vector<std::string>{"TransPose-R A4 · tp.h5", "TransPose-R A4 · tp2.h5", "PPT S"}));
    EXPECT_EQ(modelDisplayNames({"a/tp.h5", "b/tp.h5"}, {tp, tp}),
              (std::vector<std::string>{"TransPose-R A4 · tp.h5 (1)", "TransPose-R A4 · tp.h5 (2)"}));
    EXPECT_EQ(modelDisplayNames({"x/run.h5"}, {none}), std::vector<std::string>{"run.h5"});
    EXPECT_THROW(modelDisplayNames({"x.h5"}, {}), EvaluationError);
}

TEST(Comparison, RefusesNoRunsOtherSamplesAndAnUnwritableFolderNamingIt) {
    EXPECT_THROW(compareRuns({}), EvaluationError);
    const Scenario& s = scenario();
    const std::string other =
        test::runCopyWith(s.exact, "comparison_other_dataset.h5", "dataset_sha256", std::string(64, 'c'));
    try {
        compareRuns({s.flawed, other});
        ADD_FAILURE() << "runs of other samples were compared";
    } catch (const FileError& e) {
        EXPECT_EQ(e.file(), other);
        EXPECT_NE(e.problem().find("does not hold the samples of " + s.flawed), std::string::npos) << e.what();
    }

    const ComparisonReport r = compareRuns({s.flawed});
    const std::string blocked = test::outputPath("comparison_blocked_file");
    std::ofstream(blocked) << "a file, not a folder";
    const std::string dir = blocked + "/tables";
    try {
        writeComparisonTables(r, dir);
        ADD_FAILURE() << "tables were written under a file";
    } catch (const FileError& e) {
        EXPECT_EQ(e.file(), dir);
        EXPECT_NE(std::string(e.what()).find("cannot create directory"), std::string::npos) << e.what();
    }
    try {
        writeComparisonTables(r, blocked);
        ADD_FAILURE() << "tables were written into a file";
    } catch (const FileError& e) {
        EXPECT_EQ(e.file(), blocked);
    }
}

TEST(Comparison, CancelStopsAndItsReportWritesNothing) {
    const Scenario& s = scenario();
    ComparisonOptions o;
    int calls = 0;
    o.cancel = [&] { return ++calls > 1; };  // after the first model's breakdown
    const ComparisonReport r = compareRuns({s.flawed, s.exact}, o);
    EXPECT_TRUE(r.cancelled);
    EXPECT_TRUE(r.models.empty());
    EXPECT_THROW(writeComparisonTables(r, tableDir("comparison_cancelled")), Error);
    EXPECT_FALSE(fs::exists(test::outputPath("comparison_cancelled")));
}
