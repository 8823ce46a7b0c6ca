#include "record_dialog.h"

#include "posescope/datasets/error.h"
#include "posescope/models/checkpoint_info.h"
#include "posescope/models/model_config.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>

namespace posescope::gui {

namespace {

// A line edit with a "…" button that picks a file or folder.
QWidget* withBrowse(QLineEdit* edit, QWidget* parent, const QString& title, const QString& filter, bool folder,
                    bool save = false) {
    auto* box = new QWidget;
    auto* row = new QHBoxLayout(box);
    row->setContentsMargins(0, 0, 0, 0);
    row->addWidget(edit, 1);
    auto* button = new QPushButton(QStringLiteral("…"));
    button->setMaximumWidth(32);
    row->addWidget(button);
    QObject::connect(button, &QPushButton::clicked, parent, [=] {
        QString path;
        if (folder)
            path = QFileDialog::getExistingDirectory(parent, title, edit->text());
        else if (save)
            path = QFileDialog::getSaveFileName(parent, title, edit->text(), filter);
        else
            path = QFileDialog::getOpenFileName(parent, title, edit->text(), filter);
        if (!path.isEmpty()) {
            edit->setText(path);
            Q_EMIT edit->editingFinished();
        }
    });
    return box;
}

}  // namespace

RecordDialog::RecordDialog(QWidget* parent)
    : QDialog(parent),
      m_config(new QComboBox),
      m_overrides(new QLineEdit),
      m_checkpoint(new QLineEdit),
      m_dataset(new QLineEdit),
      m_images(new QLineEdit),
      m_boxes(new QLineEdit),
      m_subset(new QSpinBox),
      m_imageIds(new QLineEdit),
      m_level(new QComboBox),
      m_flip(new QCheckBox(tr("flip test (average with the mirrored crop)"))),
      m_output(new QLineEdit),
      m_recognised(new QLabel) {
    setWindowTitle(tr("Record Run"));
    m_config->setEditable(true);
    for (const std::string& name : models::ModelConfig::presetNames())
        m_config->addItem(QString::fromStdString(name));
    m_config->setToolTip(tr("a preset, or an official YAML file"));
    m_overrides->setPlaceholderText(tr("KEY=VALUE … (space-separated), e.g. MODEL.ENCODER_LAYERS=3"));
    m_subset->setRange(0, 100000000);
    m_subset->setSpecialValueText(tr("all"));
    m_imageIds->setPlaceholderText(tr("image ids, comma-separated (empty: all)"));
    m_level->addItems({QStringLiteral("keypoints"), QStringLiteral("heatmaps"), QStringLiteral("full")});
    m_level->setToolTip(
        tr("keypoints: dependencies and crops; heatmaps: + final heatmaps; full: + whole attention "
           "(affect maps, any clicked point; large)"));
    m_output->setText(QStringLiteral("run.h5"));

    auto* configRow = new QWidget;
    auto* configLayout = new QHBoxLayout(configRow);
    configLayout->setContentsMargins(0, 0, 0, 0);
    configLayout->addWidget(m_config, 1);
    auto* yaml = new QPushButton(tr("YAML…"));
    configLayout->addWidget(yaml);
    connect(yaml, &QPushButton::clicked, this, [this] {
        const QString path = QFileDialog::getOpenFileName(this, tr("Model configuration"), QString(),
                                                          tr("YAML (*.yaml *.yml);;All files (*)"));
        if (!path.isEmpty()) m_config->setCurrentText(path);
    });

    auto* form = new QFormLayout;
    form->addRow(tr("Model"), configRow);
    form->addRow(tr("Overrides"), m_overrides);
    form->addRow(tr("Checkpoint"), withBrowse(m_checkpoint, this, tr("Checkpoint"),
                                              tr("PyTorch checkpoints (*.pth *.pt *.pth.tar);;All files (*)"), false));
    form->addRow(QString(), m_recognised);
    connect(m_checkpoint, &QLineEdit::editingFinished, this, &RecordDialog::recogniseCheckpoint);
    connect(m_checkpoint, &QLineEdit::textChanged, this, [this] { m_recognised->clear(); });
    form->addRow(tr("Annotations"), withBrowse(m_dataset, this, tr("Annotations"),
                                               tr("COCO / SynthPose / MPII JSON (*.json);;All files (*)"), false));
    form->addRow(tr("Images"), withBrowse(m_images, this, tr("Image folder"), QString(), true));
    m_dataset->setPlaceholderText(tr("empty: the image folder holds your own images (no ground truth)"));
    m_boxes->setPlaceholderText(tr("optional: detections JSON (COCO), or boxes CSV/JSON for your own images"));
    form->addRow(tr("Boxes"), withBrowse(m_boxes, this, tr("Boxes"), tr("Boxes (*.json *.csv);;All files (*)"), false));
    form->addRow(tr("First N samples"), m_subset);
    form->addRow(tr("Images"), m_imageIds);
    form->addRow(tr("Level"), m_level);
    form->addRow(QString(), m_flip);
    form->addRow(tr("Output"), withBrowse(m_output, this, tr("Run file"), tr("Runs (*.h5)"), false, true));
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);
    buttons->button(QDialogButtonBox::Ok)->setText(tr("Record"));
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(buttons);
    resize(620, sizeHint().height());
}

void RecordDialog::recogniseCheckpoint() {
    const QString path = m_checkpoint->text().trimmed();
    if (path.isEmpty()) return;
    try {
        const models::ArchitectureMatch a = models::inspectCheckpoint(path.toStdString()).architecture;
        const std::string preset = models::presetFor(a.family, a.variant);
        const bool yaml = m_config->currentText().endsWith(QStringLiteral(".yaml")) ||
                          m_config->currentText().endsWith(QStringLiteral(".yml"));
        if (!preset.empty() && !yaml) m_config->setCurrentText(QString::fromStdString(preset));
        m_recognised->setText(a.recognised() ? tr("recognised: %1%2")
                                                   .arg(QString::fromStdString(a.text()),
                                                        preset.empty() ? tr(" — choose its YAML") : QString())
                                             : tr("architecture not recognised: choose its preset or YAML"));
    } catch (const std::exception& e) {
        m_recognised->setText(QString::fromStdString(e.what()));
    }
}

void RecordDialog::prefill(const analysis::RunHeader& h, const QString& runPath) {
    // The recorded configuration source is "preset X + overrides" or "FILE + overrides".
    QString source = QString::fromStdString(h.configSource);
    QString overrides;
    const int plus = source.indexOf(QStringLiteral(" + "));
    if (plus >= 0) {
        overrides = source.mid(plus + 3).replace(QStringLiteral(" + "), QStringLiteral(" "));
        source = source.left(plus);
    }
    if (source.startsWith(QStringLiteral("preset "))) source = source.mid(7);
    m_config->setCurrentText(source);
    m_overrides->setText(overrides);
    m_checkpoint->setText(QString::fromStdString(h.checkpoint));
    m_dataset->setText(QString::fromStdString(h.dataset));
    m_images->setText(QString::fromStdString(h.images));
    m_boxes->setText(QString::fromStdString(h.boxes));
    m_level->setCurrentText(QString::fromStdString(analysis::runLevelName(h.level)));
    m_flip->setChecked(h.flip);
    QString out = runPath;
    out.replace(QStringLiteral(".h5"), QStringLiteral("_again.h5"));
    m_output->setText(out);
}

analysis::RecordOptions RecordDialog::options() const {
    analysis::RecordOptions o;
    o.config = models::ModelConfig::resolve(m_config->currentText().trimmed().toStdString());
    for (const QString& set : m_overrides->text().split(QLatin1Char(' '), Qt::SkipEmptyParts))
        o.config.set(set.toStdString());
    o.checkpoint = m_checkpoint->text().trimmed().toStdString();
    o.dataset = m_dataset->text().trimmed().toStdString();
    o.images = m_images->text().trimmed().toStdString();
    o.boxes = m_boxes->text().trimmed().toStdString();
    o.subset = m_subset->value() > 0 ? m_subset->value() : -1;
    for (const QString& id : m_imageIds->text().split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        bool ok = false;
        const qlonglong v = id.trimmed().toLongLong(&ok);
        if (!ok) throw Error("image ids: '" + id.trimmed().toStdString() + "' is not a number");
        o.imageIds.push_back(v);
    }
    o.level = analysis::parseRunLevel(m_level->currentText().toStdString());
    o.flip = m_flip->isChecked();
    o.out = m_output->text().trimmed().toStdString();
    if (o.checkpoint.empty()) throw Error("choose a checkpoint");
    if (o.dataset.empty() && o.images.empty())
        throw Error("choose an annotation file and its image folder, or a folder of your own images");
    if (o.out.empty()) throw Error("choose an output file");
    return o;
}

}  // namespace posescope::gui
