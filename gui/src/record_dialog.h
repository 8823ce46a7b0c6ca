// The "Record Run" dialog: a model (preset or YAML, with KEY=VALUE overrides) and checkpoint, a
// dataset (COCO/SynthPose or MPII annotations and images), which samples, the level, and the
// output file; it produces the options of analysis::recordRun. The workbench runs them on a worker
// thread.
//
// Choosing a checkpoint recognises its family from the keys and shapes and selects the preset of a
// paper variant (other sizes need their YAML).
//
// Usage:
//   RecordDialog d(this);  d.prefill(run->header(), run->path());
//   if (d.exec() == QDialog::Accepted) startRecording(d.options());   // options() may throw
//
// Errors: options() throws posescope::Error (ConfigError for an unknown preset or override,
// FileError for an unreadable YAML) naming the problem. Thread-safety: GUI thread only.
#pragma once

#include "posescope/analysis/record.h"

#include <QDialog>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QSpinBox;

namespace posescope::gui {

class RecordDialog : public QDialog {
    Q_OBJECT
public:
    explicit RecordDialog(QWidget* parent = nullptr);
    /// Fills the fields from a recorded run (its model, checkpoint and dataset).
    void prefill(const analysis::RunHeader& header, const QString& runPath);
    analysis::RecordOptions options() const;

    QComboBox* config() const { return m_config; }
    QLineEdit* overrides() const { return m_overrides; }
    QLineEdit* checkpoint() const { return m_checkpoint; }
    QLineEdit* dataset() const { return m_dataset; }
    QLineEdit* images() const { return m_images; }
    QLineEdit* boxes() const { return m_boxes; }
    QSpinBox* subset() const { return m_subset; }
    QLineEdit* imageIds() const { return m_imageIds; }
    QComboBox* level() const { return m_level; }
    QCheckBox* flip() const { return m_flip; }
    QLineEdit* output() const { return m_output; }
    /// What the chosen checkpoint was recognised as (its preset is selected when it has one).
    QLabel* recognised() const { return m_recognised; }
    /// Reads the checkpoint field's file and selects the preset of its architecture when known.
    void recogniseCheckpoint();

private:
    QComboBox* m_config;
    QLineEdit* m_overrides;
    QLineEdit* m_checkpoint;
    QLineEdit* m_dataset;
    QLineEdit* m_images;
    QLineEdit* m_boxes;
    QSpinBox* m_subset;
    QLineEdit* m_imageIds;
    QComboBox* m_level;
    QCheckBox* m_flip;
    QLineEdit* m_output;
    QLabel* m_recognised;
};

}  // namespace posescope::gui
