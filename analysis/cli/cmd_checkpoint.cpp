// posescope-cli info / convert: checkpoints.
#include "cli.h"
#include "posescope/analysis/checkpoint_report.h"
#include "posescope/models/checkpoint.h"
#include "posescope/models/checkpoint_info.h"

#include <iostream>

namespace posescope::cli {

Command infoCommand() {
    return {"info", "show a checkpoint's keys, shapes, dtypes, counts and architecture",
            "usage: posescope-cli info FILE.pth [--json] [--no-tensors]\n"
            "\n"
            "Reads a PyTorch checkpoint (zip or legacy format, bare state dict or wrapped in\n"
            "{\"state_dict\"|\"model\"|\"model_state\": ...}) without Python and prints what it holds.\n"
            "\n"
            "  --json         print one JSON object instead of text\n"
            "  --no-tensors   omit the per-tensor listing\n",
            [](const std::vector<std::string>& argv) {
                const Args a(argv, {"--json", "--no-tensors"}, {});
                if (a.positional().size() != 1) throw UsageError("info takes exactly one checkpoint file");
                const auto info = models::inspectCheckpoint(a.positional()[0]);
                if (a.flag("--json"))
                    std::cout << analysis::formatCheckpointJson(info);
                else
                    std::cout << analysis::formatCheckpointText(info, !a.flag("--no-tensors"));
                return 0;
            }};
}

Command convertCommand() {
    return {"convert", "re-save a checkpoint's state dict as a plain zip-format .pth",
            "usage: posescope-cli convert IN.pth OUT.pth\n"
            "\n"
            "Loads IN (any format info reads), unwraps the state dict, drops a DataParallel 'module.'\n"
            "prefix, and writes it as torch.save(state_dict) would (opens with Python's torch.load).\n",
            [](const std::vector<std::string>& argv) {
                const Args a(argv, {}, {});
                if (a.positional().size() != 2) throw UsageError("convert takes an input and an output file");
                checkOutput("the output", a.positional()[1], {a.positional()[0]});
                const auto ckpt = models::loadCheckpoint(a.positional()[0]);
                models::saveStateDict(ckpt.tensors, a.positional()[1]);
                std::cout << "wrote " << ckpt.tensors.size() << " tensors to " << a.positional()[1] << '\n';
                return 0;
            }};
}

}  // namespace posescope::cli
