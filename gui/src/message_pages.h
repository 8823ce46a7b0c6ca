// The two pages of the analysis tabs (Scales, Occlusion, Models): page 0 a centred, selectable
// message (what the tab needs and how to get it), page 1 the tab's content, filling the tab.
//
// Usage (in a view's constructor, after building `content`):
//   setUpMessagePages(this, m_pages, m_message, content);   // then m_pages->setCurrentIndex(0 or 1)
//
// Errors: none. Thread-safety: GUI thread only.
#pragma once

#include <QLabel>
#include <QStackedWidget>
#include <QVBoxLayout>
#include <QWidget>

namespace posescope::gui {

inline void setUpMessagePages(QWidget* owner, QStackedWidget* pages, QLabel* message, QWidget* content) {
    message->setWordWrap(true);
    message->setAlignment(Qt::AlignCenter);
    message->setTextInteractionFlags(Qt::TextSelectableByMouse);
    message->setMargin(24);
    pages->addWidget(message);  // page 0
    pages->addWidget(content);  // page 1
    auto* layout = new QVBoxLayout(owner);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(pages);
}

}  // namespace posescope::gui
