// The sample browser's models: one row per recorded sample with a thumbnail of its crop, and a
// filter and an order on the facts the analysis layer computes (occluded keypoints, person size,
// OKS, error, score).
//
// Usage:
//   SampleListModel samples;  samples.setRun(run.get());
//   SampleFilterModel filtered;  filtered.setSourceModel(&samples);
//   filtered.setFilter(SampleFilter::Errors);              // OKS < 0.5
//   filtered.setOrder(SampleOrder::WorstOksFirst);         // samples without ground truth last
//   int64_t row = filtered.data(index, SampleListModel::RunRowRole).toLongLong();
//
// Thumbnails are decoded on first display and cached (a 10k-sample run opens at once).
// Thread-safety: GUI thread only.
#pragma once

#include "posescope/analysis/run_browser.h"

#include <QAbstractListModel>
#include <QCache>
#include <QImage>
#include <QSortFilterProxyModel>

namespace posescope::gui {

class SampleListModel : public QAbstractListModel {
    Q_OBJECT
public:
    enum Role { RunRowRole = Qt::UserRole + 1, OksRole, AreaRole };
    explicit SampleListModel(QObject* parent = nullptr);
    /// Shows the run's samples (nullptr clears); the run must outlive its use here.
    void setRun(const analysis::SampleSource* run);
    const analysis::SampleSource* run() const { return m_run; }
    int rowCount(const QModelIndex& parent = QModelIndex()) const override;
    QVariant data(const QModelIndex& index, int role) const override;

private:
    const analysis::SampleSource* m_run = nullptr;
    mutable QCache<int, QImage> m_thumbnails{600};
};

enum class SampleFilter { All, Occluded, Errors, Small, Medium, Large };
/// Menu texts of the filters, in enum order.
QStringList sampleFilterNames();

/// The list's orders; samples without ground truth (no OKS, no error) come last in the orders
/// on OKS and error, ties keep the recorded order.
enum class SampleOrder {
    Recorded,
    WorstOksFirst,
    BestOksFirst,
    LargestErrorFirst,
    LowestScoreFirst,
    SmallestFirst,
    LargestFirst
};
/// Menu texts of the orders, in enum order.
QStringList sampleOrderNames();

class SampleFilterModel : public QSortFilterProxyModel {
    Q_OBJECT
public:
    explicit SampleFilterModel(QObject* parent = nullptr);
    void setFilter(SampleFilter filter);
    SampleFilter filter() const { return m_filter; }
    void setOrder(SampleOrder order);
    SampleOrder order() const { return m_order; }

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const override;
    bool lessThan(const QModelIndex& left, const QModelIndex& right) const override;

private:
    SampleFilter m_filter = SampleFilter::All;
    SampleOrder m_order = SampleOrder::Recorded;
};

}  // namespace posescope::gui
