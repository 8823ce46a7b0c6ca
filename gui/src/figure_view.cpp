#include "figure_view.h"

#include "posescope/datasets/error.h"

#include <QMouseEvent>
#include <QPainter>

#include <algorithm>

namespace posescope::gui {

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
        m_layout = m_renderer->layout(m_spec);
        m_scale = std::min(size.width() / m_layout.width, size.height() / m_layout.height);
        m_offset =
            QPointF((size.width() - m_layout.width * m_scale) / 2, (size.height() - m_layout.height * m_scale) / 2);
        p.translate(m_offset);
        p.scale(m_scale, m_scale);
        m_renderer->paint(p, m_spec, m_row, m_scale);
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
        // Stored in device pixels; clicks arrive in widget pixels.
        m_scale /= devicePixelRatioF();
        m_offset /= devicePixelRatioF();
        m_dirty = false;
    }
    QPainter p(this);
    p.drawImage(QPointF(0, 0), m_cached);
}

void FigureView::mousePressEvent(QMouseEvent* event) {
    if (event->button() != Qt::LeftButton || m_layout.panels.empty()) return QWidget::mousePressEvent(event);
    const QPointF pt = (event->position() - m_offset) / m_scale;  // points
    for (const analysis::FigurePanel& panel : m_layout.panels) {
        if (pt.x() < panel.x || pt.y() < panel.y || pt.x() >= panel.x + panel.width || pt.y() >= panel.y + panel.height)
            continue;
        const double k = m_layout.cropWidth / panel.width;
        Q_EMIT pointClicked((pt.x() - panel.x) * k, (pt.y() - panel.y) * k, panel.layer);
        return;
    }
}

}  // namespace posescope::gui
