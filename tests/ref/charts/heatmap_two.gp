# graft plot --kind heatmap, from estimates.csv
# Redraw with: gnuplot PATH/heatmap_two.gp (from any folder: the chart
# and its data are beside this script).  Every text is drawn noenhanced, as it
# is: strings in single quotes (a quote in them as "\047"), tic labels read
# from the data file.
set terminal pngcairo size 640,596 font 'sans-serif,14' noenhanced background '#ffffff'
graft_dir(s) = (graft_i = strstrt(s, '/'), graft_i == 0 ? '' : s[1:graft_i] . graft_dir(s[graft_i + 1:]))
here = exists('ARG0') ? graft_dir(ARG0) : ''
set output here . 'heatmap_two.png'
datafile = here . 'heatmap_two.dat'
set encoding utf8
set lmargin at screen 0.2054
set rmargin at screen 0.7958
set tmargin at screen 0.8436
set bmargin at screen 0.2294
# title and subtitle
set label 'Courts and police' at screen 0.0292, screen 0.9485 left font 'sans-serif:Bold,18.2' textcolor rgb '#000000' front
# footnotes and source
set label 'Each cell: the estimate in percent and its 95 % confidence interval.' at screen 0.0292, screen 0.1871 left font 'sans-serif,11.9' textcolor rgb '#555555' front
set label 'Grey cells: suppressed as too unreliable to show: n_eff < 30; CI width >=' at screen 0.0292, screen 0.1524 left font 'sans-serif,11.9' textcolor rgb '#555555' front
set label '0.30; relative CI width > 130%.' at screen 0.0292, screen 0.1178 left font 'sans-serif,11.9' textcolor rgb '#555555' front
set label '* Estimate unreliable: df < 8; complement unreliable.' at screen 0.0292, screen 0.0832 left font 'sans-serif,11.9' textcolor rgb '#555555' front
set label 'Source: estimates.csv. 95 % CI, design-based.' at screen 0.0292, screen 0.0392 left font 'sans-serif,11.9' textcolor rgb '#555555' front
unset key
unset border
unset xtics
set xrange [0.5:2.5]
set yrange [0.5:7.75]
set ytics nomirror scale 0 tc rgb '#333333'
# column headers
set label 'courts' at first 1, screen 0.8703 center font 'sans-serif,11.9' tc rgb '#222222' front
set label 'police' at first 2, screen 0.8703 center font 'sans-serif,11.9' tc rgb '#222222' front
set palette defined (0 '#F4F9FD', 0.45 '#56B4E9', 1 '#0072B2')
set cbrange [0:40]
set cbtics out scale 0.5 format '%g %%' tc rgb '#222222'
set colorbox user origin screen 0.8308, screen 0.2294 size screen 0.0263, screen 0.6141 noborder
# the rows: tic labels read from the data (column 7, of each row's first cell)
plot datafile every 2 using (0):2:ytic(7) with points pt -1 notitle, \
     datafile using 1:2:(0.5):(0.5):($6 < 2 ? $3 : NaN) with boxxyerror fs solid 1.0 border lc rgb '#ffffff' lw 3 fc palette notitle, \
     datafile using 1:2:(0.5):($6 == 2 ? 0.5 : NaN) with boxxyerror fs solid 1.0 border lc rgb '#ffffff' lw 3 fc rgb '#D4D4D4' notitle, \
     datafile using 1:2:(0.5):($6 == 3 ? 0.5 : NaN) with boxxyerror fs solid 1.0 border lc rgb '#ffffff' lw 3 fc rgb '#F2F2F2' notitle, \
     datafile using ($6 < 2 && $3 < 24 ? $1 : NaN):($2 + 0.14):(sprintf('%.1f%s', $3, $6 == 1 ? '*' : '')) with labels center font 'sans-serif:Bold,14' tc rgb '#222222' notitle, \
     datafile using ($6 < 2 && $3 < 24 && $4 == $4 ? $1 : NaN):($2 - 0.2):(sprintf('%.1f–%.1f', $4, $5)) with labels center font 'sans-serif,11.9' tc rgb '#222222' notitle, \
     datafile using ($6 < 2 && $3 >= 24 ? $1 : NaN):($2 + 0.14):(sprintf('%.1f%s', $3, $6 == 1 ? '*' : '')) with labels center font 'sans-serif:Bold,14' tc rgb '#ffffff' notitle, \
     datafile using ($6 < 2 && $3 >= 24 && $4 == $4 ? $1 : NaN):($2 - 0.2):(sprintf('%.1f–%.1f', $4, $5)) with labels center font 'sans-serif,11.9' tc rgb '#ffffff' notitle, \
     datafile using ($6 == 3 ? $1 : NaN):2:('n/a') with labels center tc rgb '#555555' notitle
unset output
