// Bad input: every malformed checkpoint gives one FileError naming the file and the problem,
// never a crash. Corrupt files are built here from valid ones or from hand-written pickles.
#include "posescope/models/checkpoint.h"
#include "pth/pth_reader.h"
#include "pth/zip_archive.h"
#include "test_paths.h"

#include <gtest/gtest.h>

#include <fstream>

using namespace posescope;

namespace {

std::vector<uint8_t> readBytes(const std::string& path) {
    return models::pth::readFileBytes(path);
}

std::string writeBytes(const std::string& name, const std::vector<uint8_t>& bytes) {
    const std::string path = test::outputPath(name);
    std::ofstream(path, std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    return path;
}

// The message of the FileError that both the summary and the full load raise for `path`.
std::string errorOf(const std::string& path) {
    std::string inspectMessage;
    try {
        models::inspectCheckpoint(path);
        ADD_FAILURE() << "no error for " << path;
    } catch (const FileError& e) {
        EXPECT_EQ(e.file(), path);
        inspectMessage = e.what();
    }
    try {
        models::loadCheckpoint(path);
        ADD_FAILURE() << "no error for " << path;
    } catch (const FileError& e) {
        EXPECT_EQ(std::string(e.what()), inspectMessage);
    }
    return inspectMessage;
}

// Hand-written protocol-2 pickles.
struct Pickle {
    std::vector<uint8_t> b;
    Pickle() {
        b.push_back(0x80);  // PROTO 2
        b.push_back(2);
    }
    Pickle& op(char c) {
        b.push_back(static_cast<uint8_t>(c));
        return *this;
    }
    Pickle& raw(std::initializer_list<uint8_t> bytes) {
        b.insert(b.end(), bytes);
        return *this;
    }
    Pickle& global(const std::string& module, const std::string& name) {
        op('c');
        for (char c : module + "\n" + name + "\n")
            op(c);
        return *this;
    }
    Pickle& text(const std::string& s) {
        op('X');
        for (int i = 0; i < 4; ++i)
            b.push_back(static_cast<uint8_t>(s.size() >> (8 * i)));
        for (char c : s)
            op(c);
        return *this;
    }
    Pickle& small(int v) {
        op('K');
        b.push_back(static_cast<uint8_t>(v));
        return *this;
    }
    Pickle& big(int64_t v) {  // LONG1: 8 bytes, little-endian two's complement
        b.push_back(0x8a);
        b.push_back(8);
        for (int i = 0; i < 8; ++i)
            b.push_back(static_cast<uint8_t>(static_cast<uint64_t>(v) >> (8 * i)));
        return *this;
    }
    // OrderedDict{"w": FloatTensor of `size` elements over a storage of `numel`}
    static Pickle tensorDict(int numel, int size) {
        Pickle p;
        p.global("collections", "OrderedDict").op(')').op('R').op('(').text("w");
        p.global("torch._utils", "_rebuild_tensor_v2").op('(');
        p.op('(').text("storage").global("torch", "FloatStorage").text("0").text("cpu").small(numel).op('t').op('Q');
        p.small(0).op('(').small(size).op('t').op('(').small(1).op('t').raw({0x89}).op(')').op('t').op('R');
        p.op('u').op('.');
        return p;
    }
};

std::string zipFile(const std::string& name, const std::vector<std::pair<std::string, std::vector<uint8_t>>>& records) {
    const std::string path = test::outputPath(name);
    models::pth::ZipWriter zip(path);
    for (const auto& [n, data] : records)
        zip.add(n, data.data(), data.size());
    zip.finish();
    return path;
}

std::vector<uint8_t> bytesOf(const std::string& s) {
    return {s.begin(), s.end()};
}

std::string checkpointWith(const std::string& name, const Pickle& p, std::vector<uint8_t> storage) {
    return zipFile(name, {{"a/data.pkl", p.b}, {"a/data/0", std::move(storage)}, {"a/version", bytesOf("3\n")}});
}

}  // namespace

TEST(PthErrors, EveryTruncationOfAZipCheckpointIsACleanError) {
    const std::vector<uint8_t> whole = readBytes(test::dataPath("pth/plain.pth"));
    for (size_t len = 0; len < whole.size(); ++len) {
        const std::vector<uint8_t> part(whole.begin(), whole.begin() + static_cast<long>(len));
        EXPECT_THROW(models::pth::parseCheckpoint(part.data(), part.size(), "cut.pth"), FileError) << len;
    }
    const std::string msg = errorOf(writeBytes("cut_zip.pth", {whole.begin(), whole.begin() + 1500}));
    EXPECT_NE(msg.find("cut_zip.pth: truncated or corrupt ZIP archive"), std::string::npos) << msg;
}

TEST(PthErrors, EveryTruncationOfALegacyCheckpointIsACleanError) {
    const std::vector<uint8_t> whole = readBytes(test::dataPath("pth/legacy.pth"));
    for (size_t len = 0; len < whole.size(); ++len) {
        const std::vector<uint8_t> part(whole.begin(), whole.begin() + static_cast<long>(len));
        EXPECT_THROW(models::pth::parseCheckpoint(part.data(), part.size(), "cut.pth"), FileError) << len;
    }
    const std::string msg = errorOf(writeBytes("cut_legacy.pth", {whole.begin(), whole.end() - 100}));
    EXPECT_NE(msg.find("truncated file: storage"), std::string::npos) << msg;
}

TEST(PthErrors, NotACheckpoint) {
    EXPECT_NE(errorOf(writeBytes("text.pth", bytesOf("hello, this is not a checkpoint")))
                  .find("not a PyTorch checkpoint (neither a ZIP archive nor a pickle)"),
              std::string::npos);
    EXPECT_NE(errorOf(writeBytes("empty.pth", {})).find("empty.pth: empty file"), std::string::npos);
    EXPECT_NE(errorOf(test::outputPath("does_not_exist.pth")).find("cannot open: No such file or directory"),
              std::string::npos);
    EXPECT_NE(errorOf(test::outputPath("")).find("cannot read: Is a directory"), std::string::npos);
    const std::string noPkl = zipFile("no_pkl.pth", {{"a/readme.txt", bytesOf("hi")}});
    EXPECT_NE(errorOf(noPkl).find("the ZIP archive has no data.pkl record"), std::string::npos);
    const std::string script = zipFile("script.pth", {{"m/data.pkl", Pickle().op('N').op('.').b},
                                                      {"m/code/__torch__.py", bytesOf("")},
                                                      {"m/version", bytesOf("3\n")}});
    EXPECT_NE(errorOf(script).find("TorchScript archive"), std::string::npos);
}

TEST(PthErrors, UnknownOpcodeIsNamedWithItsOffset) {
    Pickle p;
    p.raw({0xff});
    const std::string msg = errorOf(checkpointWith("opcode.pth", p, {}));
    EXPECT_NE(msg.find("opcode.pth: data.pkl: unknown or unsupported pickle opcode 0xff (at byte 2)"),
              std::string::npos)
        << msg;
}

TEST(PthErrors, GlobalsOutsideTheAllowListAreRefusedByName) {
    const std::string module = errorOf(test::dataPath("pth/pickled_module.pth"));
    EXPECT_NE(module.find("refused global 'torch.nn.modules.linear.Linear'"), std::string::npos) << module;
    Pickle p;
    p.global("os", "system").text("touch pwned").raw({0x85}).op('R').op('.');  // os.system(("touch pwned",))
    const std::string os = errorOf(checkpointWith("os_system.pth", p, {}));
    EXPECT_NE(os.find("refused global 'os.system'"), std::string::npos) << os;
    std::ifstream pwned("touch pwned");
    EXPECT_FALSE(pwned.good());
}

TEST(PthErrors, MissingStorageRecord) {
    // Rebuild plain.pth without one storage record.
    const std::vector<uint8_t> whole = readBytes(test::dataPath("pth/plain.pth"));
    models::pth::ZipReader zip(whole.data(), whole.size(), "plain.pth");
    std::vector<std::pair<std::string, std::vector<uint8_t>>> records;
    for (const auto& e : zip.entries())
        if (e.name != "plain/data/2") records.emplace_back(e.name, zip.read(e));
    ASSERT_EQ(records.size() + 1, zip.entries().size());
    const std::string msg = errorOf(zipFile("missing_record.pth", records));
    EXPECT_NE(msg.find("missing_record.pth: storage record 'plain/data/2' is missing from the archive"),
              std::string::npos)
        << msg;
}

TEST(PthErrors, ViewLargerThanItsStorage) {
    const std::string msg =
        errorOf(checkpointWith("big_view.pth", Pickle::tensorDict(4, 10), std::vector<uint8_t>(16)));
    EXPECT_NE(msg.find("tensor view needs 10 elements of storage '0', which holds only 4"), std::string::npos) << msg;
}

TEST(PthErrors, ShapesWhoseElementCountOverflowsAreRefusedNotPassedToLibTorch) {
    // A 2^32 × 2^32 view with zero strides fits any storage, but its element count (2^64) overflows
    // LibTorch's numel ("integer multiplication overflow", without a file name).
    Pickle p;
    p.global("collections", "OrderedDict").op(')').op('R').op('(').text("w");
    p.global("torch._utils", "_rebuild_tensor_v2").op('(');
    p.op('(').text("storage").global("torch", "FloatStorage").text("0").text("cpu").small(4).op('t').op('Q');
    p.small(0).op('(').big(int64_t{1} << 32).big(int64_t{1} << 32).op('t').op('(').small(0).small(0).op('t');
    p.raw({0x89}).op(')').op('t').op('R').op('u').op('.');
    const std::string msg = errorOf(checkpointWith("overflow.pth", p, std::vector<uint8_t>(16)));
    EXPECT_NE(msg.find("overflow.pth: data.pkl: tensor has more elements than any memory holds"), std::string::npos)
        << msg;
}

TEST(PthErrors, StorageRecordShorterThanDeclared) {
    const std::string msg = errorOf(checkpointWith("short.pth", Pickle::tensorDict(100, 10), std::vector<uint8_t>(16)));
    EXPECT_NE(msg.find("storage '0' holds 16 bytes, but the checkpoint declares 100 float32 elements (400 bytes)"),
              std::string::npos)
        << msg;
}

TEST(PthErrors, CorruptStorageFailsItsChecksum) {
    std::vector<uint8_t> whole = readBytes(test::dataPath("pth/plain.pth"));
    const std::string needle = "plain/data/0";
    auto at = std::search(whole.begin(), whole.end(), needle.begin(), needle.end());
    ASSERT_NE(at, whole.end());
    // The first local header for data/0 is followed by padding and then the data; flip a data byte.
    whole[static_cast<size_t>(at - whole.begin()) + 200] ^= 0x5a;
    const std::string msg = errorOf(writeBytes("crc.pth", whole));
    EXPECT_NE(msg.find("fails its CRC check"), std::string::npos) << msg;
}

TEST(PthErrors, NotAStateDict) {
    Pickle list;
    list.op(']').op('.');
    EXPECT_NE(errorOf(checkpointWith("list.pth", list, {})).find("holds a [], not a state dict"), std::string::npos);
    Pickle dict;
    dict.op('}').text("epoch").small(3).op('s').op('.');
    const std::string msg = errorOf(checkpointWith("no_tensors.pth", dict, {}));
    EXPECT_NE(msg.find("no state dict found: the checkpoint is a dict with keys {epoch}"), std::string::npos) << msg;
}

TEST(PthErrors, MalformedPickleStructures) {
    const std::vector<std::pair<Pickle, std::string>> cases = {
        {Pickle().op('.'), "pickle ends with an empty stack"},
        {Pickle().op('h').raw({7}), "pickle memo entry 7 is missing"},
        {Pickle().op('t'), "pickle MARK missing"},
        {Pickle().op('N').op('a'), "pickle stack underflow"},
        {Pickle().op('N').op('N').op('a'), "APPEND to something that is not a list"},
        {Pickle().op('X').raw({0xff, 0xff, 0xff, 0x7f}), "pickle truncated (string of"},
        {Pickle().op('(').op('Q').op('.'), "pickle stack underflow"},
        {Pickle().op(')').op('Q'), "unsupported persistent id"},
        {Pickle().raw({0x8b, 0, 0, 1, 0}), "integer of 65536 bytes is too large"},
    };
    int i = 0;
    for (const auto& [p, want] : cases) {
        const std::string msg = errorOf(checkpointWith("malformed" + std::to_string(i++) + ".pth", p, {}));
        EXPECT_NE(msg.find(want), std::string::npos) << msg;
    }
}
