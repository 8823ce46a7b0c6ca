#include "figure_view.h"

#include "posescope/datasets/error.h"

#include <QMouseEvent>
#include <QPainter>
#include <QWheelEvent>

#include <algorithm>
#include <cmath>
#include <utility>

namespace posescope::gui {

namespace {
constexpr double kMaxZoom = 32;
constexpr double kDragThreshold = 4;  // widget pixels before a press becomes a drag
}  // namespace

FigureView::FigureView(QWidget* parent) : QWidget(parent) {
    setMinimumSize(200, 150);
    setAttribute(Qt::WA_OpaquePaintEvent);
}

FigureView::~FigureView() = default;

void FigureView::setRun(const analysis::SampleSource* run) {
    m_run = run;
    m_renderer = run ? std::make_unique<analysis::FigureRenderer>(*run) : nullptr;
    m_row = -1;
    m_dirty = true;
    update();
}

void FigureView::setComparisonData(const analysis::FigureSpec& spec, analysis::ComparisonReport report) {
    if (!m_renderer) return;
    m_renderer->setComparisonData(spec, std::move(report));
    m_dirty = true;
    update();
}

void FigureView::setFigure(const analysis::FigureSpec& spec, int64_t row) {
    m_spec = spec;
    m_row = row;
    m_dirty = true;
    update();
}

QImage FigureView::renderToImage(QSize size) {
    QImage image(size, QImage::Format_RGB32);
    image.fill(palette().color(QPalette::Window));
    m_error.clear();
    if (!m_renderer || m_row < 0) {
        m_layout = {};
        return image;
    }
    QPainter p(&image);
    p.setRenderHint(QPainter::SmoothPixmapTransform, true);
    try {
        m_layout = m_renderer->layout(m_spec, m_row);
        const QSizeF figure(m_layout.width, m_layout.height);
        if (figure != m_figureSize) {  // another figure: fit it
            m_figureSize = figure;
            m_zoom = 1;
            m_focus = QPointF(-1, -1);
        }
        clampFocus();
        const double scale = std::min(size.width() / m_layout.width, size.height() / m_layout.height) * m_zoom;
        p.setClipRect(QRect(QPoint(0, 0), size));  // panels outside the view are not drawn
        p.translate(size.width() / 2.0, size.height() / 2.0);
        p.scale(scale, scale);
        p.translate(-m_focus);
        m_renderer->paint(p, m_spec, m_row, scale);
    } catch (const std::exception& e) {
        m_layout = {};
        m_error = QString::fromStdString(e.what());
        p.resetTransform();
        p.fillRect(image.rect(), palette().color(QPalette::Window));
        p.setPen(palette().color(QPalette::WindowText));
        p.drawText(image.rect().adjusted(20, 20, -20, -20), Qt::AlignCenter | Qt::TextWordWrap, m_error);
    }
    return image;
}

void FigureView::paintEvent(QPaintEvent*) {
    const QSize want = size() * devicePixelRatioF();
    if (m_dirty || m_cached.size() != want) {
        m_cached = renderToImage(want);
        m_cached.setDevicePixelRatio(devicePixelRatioF());
        m_dirty = false;
    }
    QPainter p(this);
    p.drawImage(QPointF(0, 0), m_cached);
}

double FigureView::fitScale() const {
    if (m_layout.width <= 0 || m_layout.height <= 0) return 1;
    return std::min(width() / m_layout.width, height() / m_layout.height);
}

void FigureView::clampFocus() {
    const QPointF centre(m_layout.width / 2, m_layout.height / 2);
    if (m_focus.x() < 0 || m_zoom <= 1) {
        m_focus = centre;
        return;
    }
    m_focus.setX(std::clamp(m_focus.x(), 0.0, m_layout.width));
    m_focus.setY(std::clamp(m_focus.y(), 0.0, m_layout.height));
}

QPointF FigureView::figurePoint(QPointF widgetPos) const {
    const QPointF focus = m_focus.x() < 0 ? QPointF(m_layout.width / 2, m_layout.height / 2) : m_focus;
    return focus + (widgetPos - QPointF(width() / 2.0, height() / 2.0)) / (fitScale() * m_zoom);
}

void FigureView::zoomAt(double factor, QPointF widgetPos) {
    if (m_layout.panels.empty() && m_layout.width <= 0) return;
    const QPointF anchor = figurePoint(widgetPos);
    m_zoom = std::clamp(m_zoom * factor, 1.0, kMaxZoom);
    m_focus = anchor - (widgetPos - QPointF(width() / 2.0, height() / 2.0)) / (fitScale() * m_zoom);
    clampFocus();
    m_dirty = true;
    update();
}

void FigureView::panBy(QPointF widgetDelta) {
    if (m_zoom <= 1) return;
    m_focus -= widgetDelta / (fitScale() * m_zoom);
    clampFocus();
    m_dirty = true;
    update();
}

void FigureView::resetZoom() {
    m_zoom = 1;
    m_focus = QPointF(-1, -1);
    m_dirty = true;
    update();
}

void FigureView::wheelEvent(QWheelEvent* event) {
    const double steps = event->angleDelta().y() / 120.0;
    if (steps == 0) return QWidget::wheelEvent(event);
    zoomAt(std::pow(1.25, steps), event->position());
    event->accept();
}

void FigureView::mousePressEvent(QMouseEvent* event) {
    if (event->button() != Qt::LeftButton) return QWidget::mousePressEvent(event);
    m_pressed = true;
    m_dragging = false;
    m_pressAt = m_lastDrag = event->position();
}

void FigureView::mouseMoveEvent(QMouseEvent* event) {
    if (!m_pressed) return QWidget::mouseMoveEvent(event);
    if (!m_dragging && QLineF(m_pressAt, event->position()).length() >= kDragThreshold) m_dragging = true;
    if (m_dragging) {
        panBy(event->position() - m_lastDrag);
        m_lastDrag = event->position();
    }
}

void FigureView::mouseReleaseEvent(QMouseEvent* event) {
    if (event->button() != Qt::LeftButton || !m_pressed) return QWidget::mouseReleaseEvent(event);
    m_pressed = false;
    if (m_dragging || m_layout.panels.empty()) return;
    const QPointF pt = figurePoint(event->position());
    for (const analysis::FigurePanel& panel : m_layout.panels) {
        if (pt.x() < panel.x || pt.y() < panel.y || pt.x() >= panel.x + panel.width || pt.y() >= panel.y + panel.height)
            continue;
        const auto& t = panel.toCrop;
        Q_EMIT pointClicked(t[0] * pt.x() + t[1] * pt.y() + t[2], t[3] * pt.x() + t[4] * pt.y() + t[5], panel.layer);
        return;
    }
}

void FigureView::mouseDoubleClickEvent(QMouseEvent* event) {
    if (event->button() != Qt::LeftButton) return QWidget::mouseDoubleClickEvent(event);
    m_pressed = false;
    resetZoom();
}

}  // namespace posescope::gui
